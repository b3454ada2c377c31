package io.tern.app;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Limits that keep the broker up: connection count, slow readers, the v3 inflight window. */
class TransportLimitsTest extends ClientSupport {

    @Override
    String brokerYaml() {
        return "sessions: { max_queued_messages: 100 }\nmqtt: { max_inflight_messages: 3 }\n";
    }

    @Test
    void connectionsBeyondTheLimitAreClosed() throws Exception {
        TestBroker two = track(new TestBroker(
                "listeners:\n  tcp: { host: 127.0.0.1, port: 0, max_connections: 2 }\n"));
        RawClient a = track(new RawClient(two.port(), MqttVersion.MQTT_3_1_1));
        RawClient b = track(new RawClient(two.port(), MqttVersion.MQTT_3_1_1));
        for (RawClient client : new RawClient[]{a, b}) { // both counted before the third arrives
            client.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1)
                    .clientId("limit-" + System.identityHashCode(client)).cleanSession(true).build());
            assertThat(client.receive(WAIT)).isNotNull();
        }
        RawClient c = track(new RawClient(two.port(), MqttVersion.MQTT_3_1_1));
        assertThat(c.closedByServer(WAIT)).isTrue();
        assertThat(two.counter("tern.connections.rejected", "reason", "connection_limit")).isEqualTo(1);
        assertThat(b.closedByServer(SHORT)).isFalse();
    }

    @Test
    void aSubscriberThatStopsReadingCostsBoundedMemory() throws Exception {
        RawClient stalled = rawConnected(MqttVersion.MQTT_3_1_1, "stalled-reader", true, MqttProperties.NO_PROPERTIES);
        stalled.send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_MOST_ONCE, "flood/#").build());
        assertThat(stalled.receive(WAIT)).isNotNull(); // SUBACK; from now on it reads nothing
        RawClient publisher = rawConnected(MqttVersion.MQTT_3_1_1, "flooder", true, MqttProperties.NO_PROPERTIES);
        byte[] payload = new byte[4096];
        // 40 MB: far more than socket buffers (a few MB on loopback) + 128 KiB + 100 queued.
        for (int i = 0; i < 10_000; i++) {
            MqttPublishMessage publish = MqttMessageBuilders.publish().topicName("flood/t").qos(MqttQoS.AT_MOST_ONCE)
                    .payload(Unpooled.wrappedBuffer(payload)).build();
            publisher.send(publish);
        }
        await().atMost(WAIT).until(() -> broker().counter("tern.messages.dropped", "reason", "queue_full") > 0);
        double queued = broker().meters.find("tern.messages.queued").gauge().value();
        assertThat(queued).isLessThanOrEqualTo(100);
        // The broker still serves others.
        RawClient other = rawConnected(MqttVersion.MQTT_3_1_1, "still-served", true, MqttProperties.NO_PROPERTIES);
        assertThat(other).isNotNull();
    }

    @Test
    void mqtt3InflightWindowIsConfigurable() throws Exception {
        RawClient slow = rawConnected(MqttVersion.MQTT_3_1_1, "v3-slow", true, MqttProperties.NO_PROPERTIES);
        slow.send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, "w/t").build());
        slow.receive(WAIT);
        RawClient pub = rawConnected(MqttVersion.MQTT_3_1_1, "v3-pub", true, MqttProperties.NO_PROPERTIES);
        for (int i = 0; i < 6; i++) {
            pub.send(MqttMessageBuilders.publish().topicName("w/t").qos(MqttQoS.AT_LEAST_ONCE).messageId(i + 1)
                    .payload(Unpooled.wrappedBuffer(new byte[]{(byte) i})).build());
        }
        for (int i = 0; i < 3; i++) {
            assertThat(slow.receive(WAIT)).isInstanceOf(MqttPublishMessage.class);
        }
        assertThat(slow.receive(SHORT)).isNull(); // max_inflight_messages: 3
    }
}
