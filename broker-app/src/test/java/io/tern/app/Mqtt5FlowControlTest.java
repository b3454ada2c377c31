package io.tern.app;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Flows that need a client that misbehaves on purpose (withholds acknowledgements, vanishes),
 * driven through a raw socket client.
 */
class Mqtt5FlowControlTest extends ClientSupport {

    @Override
    String brokerYaml() {
        return "  http: { host: 127.0.0.1, port: 0 }\n  coap: { host: 127.0.0.1, port: 0 }\n"
                + "sessions: { max_queued_messages: 10 }\nmqtt: { response_information_prefix: 'resp/' }\n";
    }

    private static MqttProperties props(MqttPropertyType type, int value) {
        MqttProperties properties = new MqttProperties();
        properties.add(new MqttProperties.IntegerProperty(type.value(), value));
        return properties;
    }

    private static MqttMessage publish(String topic, int qos, int packetId, String payload) {
        return MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).messageId(packetId)
                .payload(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)).build();
    }

    private static MqttMessage reply(MqttMessageType type, int packetId) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0), MqttMessageIdVariableHeader.from(packetId));
    }

    private static MqttMessage subscribe(int packetId, String filter, int qos, MqttProperties properties) {
        return MqttMessageBuilders.subscribe().messageId(packetId).properties(properties)
                .addSubscription(filter, new MqttSubscriptionOption(MqttQoS.valueOf(qos), false, false,
                        MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE)).build();
    }

    private static String payload(MqttMessage message) {
        return ((MqttPublishMessage) message).content().toString(StandardCharsets.UTF_8);
    }

    private RawClient publisher() throws Exception {
        return rawConnected(MqttVersion.MQTT_3_1_1, "raw-pub", true, MqttProperties.NO_PROPERTIES);
    }

    @Test
    void overlappingSubscriptionsDeliverOnceWithEverySubscriptionIdentifier_MQTT_3_3_4_3() throws Exception {
        RawClient client = rawConnected(MqttVersion.MQTT_5, "sid", true, MqttProperties.NO_PROPERTIES);
        client.send(subscribe(1, "sid/#", 1, props(MqttPropertyType.SUBSCRIPTION_IDENTIFIER, 42)));
        assertThat(client.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.SUBACK);
        client.send(subscribe(2, "sid/+", 0, props(MqttPropertyType.SUBSCRIPTION_IDENTIFIER, 4242)));
        assertThat(client.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.SUBACK);
        publisher().send(publish("sid/x", 1, 1, "both"));
        MqttPublishMessage delivered = (MqttPublishMessage) client.receive(WAIT);
        assertThat(delivered.fixedHeader().qosLevel()).isEqualTo(MqttQoS.AT_LEAST_ONCE); // highest of the two
        List<Integer> ids = delivered.variableHeader().properties()
                .getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()).stream()
                .map(p -> (Integer) p.value()).toList();
        assertThat(ids).containsExactlyInAnyOrder(42, 4242);
        client.send(reply(MqttMessageType.PUBACK, delivered.variableHeader().packetId()));
        assertThat(client.receive(SHORT)).isNull(); // delivered once
    }

    /** Three sessions, two of them with overlapping pairs: each gets one copy, merged per session. */
    @Test
    void overlappingSubscriptionsOfSeveralSessionsMergePerSession_MQTT_3_3_4_2() throws Exception {
        RawClient first = subscribed("ov-first", "ov/#", 0, 1, "ov/+", 1, 2);
        RawClient second = subscribed("ov-second", "ov/x", 1, 3, "ov/#", 0, 4);
        RawClient third = subscribed("ov-third", "ov/+", 0, 5, null, 0, 0);
        publisher().send(publish("ov/x", 1, 1, "all"));
        assertDeliveredOnce(first, MqttQoS.AT_LEAST_ONCE, 1, 2);
        assertDeliveredOnce(second, MqttQoS.AT_LEAST_ONCE, 3, 4);
        assertDeliveredOnce(third, MqttQoS.AT_MOST_ONCE, 5);
    }

    private RawClient subscribed(String clientId, String filter, int qos, int id,
                                 String otherFilter, int otherQos, int otherId) throws Exception {
        RawClient client = rawConnected(MqttVersion.MQTT_5, clientId, true, MqttProperties.NO_PROPERTIES);
        client.send(subscribe(1, filter, qos, props(MqttPropertyType.SUBSCRIPTION_IDENTIFIER, id)));
        assertThat(client.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.SUBACK);
        if (otherFilter != null) {
            client.send(subscribe(2, otherFilter, otherQos, props(MqttPropertyType.SUBSCRIPTION_IDENTIFIER, otherId)));
            assertThat(client.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.SUBACK);
        }
        return client;
    }

    private static void assertDeliveredOnce(RawClient client, MqttQoS qos, Integer... subscriptionIds) throws Exception {
        MqttPublishMessage delivered = (MqttPublishMessage) client.receive(WAIT);
        assertThat(delivered.fixedHeader().qosLevel()).isEqualTo(qos);
        List<Integer> ids = delivered.variableHeader().properties()
                .getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()).stream()
                .map(p -> (Integer) p.value()).toList();
        assertThat(ids).containsExactlyInAnyOrder(subscriptionIds);
        if (qos == MqttQoS.AT_LEAST_ONCE) {
            client.send(reply(MqttMessageType.PUBACK, delivered.variableHeader().packetId()));
        }
        assertThat(client.receive(SHORT)).isNull();
    }

    @Test
    void clientReceiveMaximumLimitsUnacknowledgedMessages_MQTT_4_9_0_2() throws Exception {
        RawClient slow = rawConnected(MqttVersion.MQTT_5, "slow", true, props(MqttPropertyType.RECEIVE_MAXIMUM, 2));
        slow.send(subscribe(1, "rm/t", 1, MqttProperties.NO_PROPERTIES));
        slow.receive(WAIT); // SUBACK
        RawClient pub = publisher();
        for (int i = 0; i < 5; i++) {
            pub.send(publish("rm/t", 1, i + 1, "m" + i));
        }
        MqttMessage first = slow.receive(WAIT);
        MqttMessage second = slow.receive(WAIT);
        assertThat(List.of(payload(first), payload(second))).containsExactly("m0", "m1");
        assertThat(slow.receive(SHORT)).isNull(); // window full
        slow.send(reply(MqttMessageType.PUBACK, ((MqttPublishMessage) first).variableHeader().packetId()));
        assertThat(payload(slow.receive(WAIT))).isEqualTo("m2");
        assertThat(slow.receive(SHORT)).isNull();
    }

    @Test
    void unacknowledgedMessagesAreResentWithDupOnReconnect_MQTT_4_4_0_1() throws Exception {
        MqttProperties persistent = props(MqttPropertyType.SESSION_EXPIRY_INTERVAL, 60);
        RawClient first = rawConnected(MqttVersion.MQTT_5, "redeliver", true, persistent);
        first.send(subscribe(1, "rd/#", 2, MqttProperties.NO_PROPERTIES));
        first.receive(WAIT);
        RawClient pub = publisher();
        pub.send(publish("rd/1", 1, 1, "qos1"));
        pub.send(publish("rd/2", 2, 2, "qos2"));
        MqttPublishMessage q1 = (MqttPublishMessage) first.receive(WAIT);
        MqttPublishMessage q2 = (MqttPublishMessage) first.receive(WAIT);
        assertThat(q1.fixedHeader().isDup()).isFalse();
        first.send(reply(MqttMessageType.PUBREC, q2.variableHeader().packetId()));
        MqttMessage pubRel = first.receive(WAIT);
        assertThat(pubRel.fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL);
        first.dropConnection(); // neither the PUBACK nor the PUBCOMP was sent

        RawClient second = raw(MqttVersion.MQTT_5);
        second.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId("redeliver")
                .cleanSession(false).keepAlive(60).properties(persistent).build());
        MqttConnAckMessage connAck = (MqttConnAckMessage) second.receive(WAIT);
        assertThat(connAck.variableHeader().isSessionPresent()).isTrue();
        MqttPublishMessage again = (MqttPublishMessage) second.receive(WAIT);
        assertThat(again.fixedHeader().isDup()).isTrue();
        assertThat(again.variableHeader().packetId()).isEqualTo(q1.variableHeader().packetId());
        assertThat(payload(again)).isEqualTo("qos1");
        MqttMessage pubRelAgain = second.receive(WAIT);
        assertThat(pubRelAgain.fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL);
        assertThat(((MqttMessageIdVariableHeader) pubRelAgain.variableHeader()).messageId())
                .isEqualTo(q2.variableHeader().packetId());
        second.send(reply(MqttMessageType.PUBACK, again.variableHeader().packetId()));
        second.send(reply(MqttMessageType.PUBCOMP, q2.variableHeader().packetId()));
        assertThat(second.receive(SHORT)).isNull();
    }

    @Test
    void qos1PublishersAreHeldBackInsteadOfDroppingAcknowledgedMessages() throws Exception {
        RawClient stalled = rawConnected(MqttVersion.MQTT_5, "stalled", true, props(MqttPropertyType.RECEIVE_MAXIMUM, 1));
        stalled.send(subscribe(1, "bp/t", 1, MqttProperties.NO_PROPERTIES));
        stalled.receive(WAIT);
        RawClient pub = publisher();
        for (int i = 0; i < 30; i++) {
            pub.send(publish("bp/t", 1, i + 1, "m" + i));
        }
        // While the subscriber reads nothing, the publisher is acknowledged only up to the
        // queue's high water mark (3/4 of max_queued_messages 10), then held back.
        int acknowledged = 0;
        while (pub.receive(SHORT) != null) {
            acknowledged++;
        }
        assertThat(acknowledged).isBetween(5, 10);
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_full")).isZero();
        assertThat(broker().counter("tern.publishers.throttled")).isPositive();

        List<String> received = new java.util.ArrayList<>();
        while (received.size() < 30) {
            MqttPublishMessage next = (MqttPublishMessage) stalled.receive(WAIT);
            assertThat(next).as("message %d; dropped %s, queued %s, inflight %s, throttled %s", received.size(),
                    broker().meters.find("tern.messages.dropped").counters().stream().map(c -> c.getId().getTag("reason") + "=" + c.count()).toList(),
                    broker().meters.find("tern.messages.queued").gauge().value(),
                    broker().meters.find("tern.messages.inflight").gauge().value(),
                    broker().counter("tern.publishers.throttled")).isNotNull();
            received.add(payload(next));
            stalled.send(reply(MqttMessageType.PUBACK, next.variableHeader().packetId()));
        }
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            expected.add("m" + i);
        }
        assertThat(received).isEqualTo(expected); // all of them, once, in order
        while (acknowledged < 30) {
            assertThat(pub.receive(WAIT)).as("PUBACK %d", acknowledged).isNotNull();
            acknowledged++;
        }
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_full")).isZero();
    }

    @Test
    void httpPublishersAreHeldBackToo() throws Exception {
        RawClient stalled = rawConnected(MqttVersion.MQTT_5, "stalled-http", true, props(MqttPropertyType.RECEIVE_MAXIMUM, 1));
        stalled.send(subscribe(1, "hbp/t", 1, MqttProperties.NO_PROPERTIES));
        stalled.receive(WAIT);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + broker().server.httpAddress().getPort()
                + "/publish/hbp/t?qos=1");
        java.util.concurrent.atomic.AtomicInteger posted = new java.util.concurrent.atomic.AtomicInteger();
        Thread poster = new Thread(() -> {
            for (int i = 0; i < 30; i++) {
                try {
                    var response = http.send(java.net.http.HttpRequest.newBuilder(uri)
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("h" + i)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        posted.incrementAndGet();
                    }
                } catch (Exception e) {
                    return;
                }
            }
        });
        poster.start();
        track(poster::interrupt);
        // Held back at the high water mark: the count reaches it and stays there.
        await().during(java.time.Duration.ofMillis(400)).atMost(WAIT)
                .until(() -> posted.get() >= 5 && posted.get() <= 10);
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_full")).isZero();
        List<String> received = new java.util.ArrayList<>();
        while (received.size() < 30) {
            MqttPublishMessage next = (MqttPublishMessage) stalled.receive(WAIT);
            assertThat(next).as("message %d", received.size()).isNotNull();
            received.add(payload(next));
            stalled.send(reply(MqttMessageType.PUBACK, next.variableHeader().packetId()));
        }
        poster.join(WAIT.toMillis());
        assertThat(posted.get()).isEqualTo(30);
        assertThat(received).first().isEqualTo("h0");
        assertThat(received).last().isEqualTo("h29");
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_full")).isZero();
    }

    @Test
    void coapPublishersAreRefusedWith503WhileSubscribersCatchUp() throws Exception {
        org.eclipse.californium.core.config.CoapConfig.register();
        org.eclipse.californium.elements.config.UdpConfig.register();
        RawClient stalled = rawConnected(MqttVersion.MQTT_5, "stalled-coap", true, props(MqttPropertyType.RECEIVE_MAXIMUM, 1));
        stalled.send(subscribe(1, "cbp/t", 1, MqttProperties.NO_PROPERTIES));
        stalled.receive(WAIT);
        var endpoint = org.eclipse.californium.core.network.CoapEndpoint.builder()
                .setConfiguration(org.eclipse.californium.elements.config.Configuration.createStandardWithoutFile()).build();
        track(endpoint::destroy);
        var coap = new org.eclipse.californium.core.CoapClient("coap://127.0.0.1:"
                + broker().server.coapAddress().getPort() + "/mqtt/publish/cbp/t?qos=1");
        coap.setEndpoint(endpoint);
        coap.setTimeout(WAIT.toMillis());
        List<String> accepted = new java.util.ArrayList<>();
        int refused = 0;
        for (int i = 0; i < 20; i++) {
            var response = coap.post("c" + i, org.eclipse.californium.core.coap.MediaTypeRegistry.TEXT_PLAIN);
            if (response.getCode() == org.eclipse.californium.core.coap.CoAP.ResponseCode.CHANGED) {
                accepted.add("c" + i);
            } else {
                assertThat(response.getCode()).isEqualTo(org.eclipse.californium.core.coap.CoAP.ResponseCode.SERVICE_UNAVAILABLE);
                assertThat(response.getOptions().getMaxAge()).isEqualTo(1L);
                refused++;
            }
        }
        assertThat(accepted.size()).isBetween(5, 10);
        assertThat(refused).isEqualTo(20 - accepted.size());
        List<String> received = new java.util.ArrayList<>();
        while (received.size() < accepted.size()) {
            MqttPublishMessage next = (MqttPublishMessage) stalled.receive(WAIT);
            assertThat(next).isNotNull();
            received.add(payload(next));
            stalled.send(reply(MqttMessageType.PUBACK, next.variableHeader().packetId()));
        }
        assertThat(received).isEqualTo(accepted); // everything accepted arrives; nothing dropped
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_full")).isZero();
        await().atMost(WAIT).until(() -> coap.post("again", org.eclipse.californium.core.coap.MediaTypeRegistry.TEXT_PLAIN)
                .getCode() == org.eclipse.californium.core.coap.CoAP.ResponseCode.CHANGED);
    }

    @Test
    void aQos0FloodDropsQos0AndNeverEvictsQueuedQos1() throws Exception {
        RawClient stalled = rawConnected(MqttVersion.MQTT_5, "stalled0", true, props(MqttPropertyType.RECEIVE_MAXIMUM, 1));
        stalled.send(subscribe(1, "mix/t", 1, MqttProperties.NO_PROPERTIES));
        stalled.receive(WAIT);
        RawClient pub = publisher();
        for (int i = 0; i < 4; i++) {
            pub.send(publish("mix/t", 1, i + 1, "q1-" + i));
            assertThat(pub.receive(WAIT)).isNotNull(); // PUBACK
        }
        for (int i = 0; i < 40; i++) {
            pub.send(publish("mix/t", 0, 0, "q0-" + i));
        }
        // 1 in flight + 10 queued: QoS 0 fills the rest and is what overflows.
        await().atMost(WAIT).until(() -> broker().counter("tern.messages.dropped", "reason", "queue_full") >= 33);
        List<String> received = new java.util.ArrayList<>();
        MqttMessage next;
        while ((next = stalled.receive(SHORT)) != null) {
            MqttPublishMessage publish = (MqttPublishMessage) next;
            received.add(payload(publish));
            if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                stalled.send(reply(MqttMessageType.PUBACK, publish.variableHeader().packetId()));
            }
        }
        assertThat(received).startsWith("q1-0", "q1-1", "q1-2", "q1-3"); // every acknowledged QoS 1 message
        assertThat(received).hasSize(11);
    }

    @Test
    void responseInformationIsSentWhenRequested_MQTT_3_1_2_28() throws Exception {
        RawClient client = raw(MqttVersion.MQTT_5);
        client.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId("asks")
                .cleanSession(true).properties(props(MqttPropertyType.REQUEST_RESPONSE_INFORMATION, 1)).build());
        MqttConnAckMessage connAck = (MqttConnAckMessage) client.receive(WAIT);
        var info = connAck.variableHeader().properties().getProperty(MqttPropertyType.RESPONSE_INFORMATION.value());
        assertThat(info.value()).isEqualTo("resp/asks");
    }

    @Test
    void keepAliveClosesASilentConnection_MQTT_3_1_2_22() throws Exception {
        RawClient silent = raw(MqttVersion.MQTT_3_1_1);
        silent.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId("silent")
                .cleanSession(true).keepAlive(1).build());
        assertThat(silent.receive(WAIT)).isNotNull();
        long start = System.nanoTime();
        assertThat(silent.closedByServer(WAIT)).isTrue();
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void pingRequestGetsPingResponse() throws Exception {
        RawClient client = rawConnected(MqttVersion.MQTT_3_1_1, "pinger", true, MqttProperties.NO_PROPERTIES);
        client.send(new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0)));
        assertThat(client.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PINGRESP);
    }
}
