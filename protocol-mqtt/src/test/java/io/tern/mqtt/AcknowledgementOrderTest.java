package io.tern.mqtt;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import org.junit.jupiter.api.Test;

import static io.tern.mqtt.Packets5.connect;
import static io.tern.mqtt.Packets5.publish;
import static io.tern.mqtt.Packets5.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A read's ready acknowledgements are written after the session work the read queued, so a
 * subscriber's copy leaves first. Held back like that, they must still go out in the order of
 * the PUBLISHes they answer [MQTT-4.6.0-2], ahead of a later one that waited for the store, and
 * before a DISCONNECT that ends the connection.
 */
class AcknowledgementOrderTest {
    private final DurableLogs.HeldCommits store = new DurableLogs.HeldCommits();

    @Test
    void aHeldBackAcknowledgementGoesBeforeALaterOneWhoseCommitLandsFirst_MQTT_4_6_0_2() {
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), BrokerSettings.defaults(),
                Authenticator.allowAll(), store.log)) {
            // A persistent subscriber: a QoS 1 message to kept/... is stored before its PUBACK.
            TailHarness.Connection keeper = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "keeper", false), subscribe(1, "kept/#", 1));
            assertThat(keeper.received()).extracting(Packets5::type)
                    .containsExactly(MqttMessageType.CONNACK, MqttMessageType.SUBACK);
            TailHarness.Connection publisher = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "publisher", true));
            assertThat(publisher.received()).extracting(Packets5::type).containsExactly(MqttMessageType.CONNACK);
            store.completeAll();
            store.commits.clear();

            // One read: 1 needs nothing stored (its PUBACK is held back to the end of the read),
            // 2 waits for the store, whose commit lands within the read, 3 is ready but behind 2.
            ChannelPipeline pipeline = publisher.server.pipeline();
            pipeline.fireChannelRead(publisher.encode(publish("free/t", 1, 1, "a", MqttProperties.NO_PROPERTIES)));
            pipeline.fireChannelRead(publisher.encode(publish("kept/t", 1, 2, "b", MqttProperties.NO_PROPERTIES)));
            assertThat(store.commits).hasSize(1);
            store.commits.get(0).complete(null); // its task is queued before the read's own
            pipeline.fireChannelRead(publisher.encode(publish("free/t", 1, 3, "c", MqttProperties.NO_PROPERTIES)));
            pipeline.fireChannelReadComplete();

            assertThat(publisher.received()).extracting(Packets5::ackedId).containsExactly(1, 2, 3);
            assertThat(keeper.received()).extracting(Packets5::type).containsExactly(MqttMessageType.PUBLISH);
        }
    }

    @Test
    void aHeldBackAcknowledgementGoesOutBeforeTheDisconnectOfALaterProtocolError() {
        try (TailHarness harness = new TailHarness()) {
            TailHarness.Connection client = harness.connect(MqttVersion.MQTT_5)
                    .send(connect(MqttVersion.MQTT_5, "erring", true));
            assertThat(client.received()).extracting(Packets5::type).containsExactly(MqttMessageType.CONNACK);

            // [MQTT-3.3.4-6] a client must not send a Subscription Identifier: the second PUBLISH
            // of the read closes the connection, and the first, accepted, is still acknowledged.
            client.send(publish("t", 1, 7, "accepted", MqttProperties.NO_PROPERTIES),
                    publish("t", 1, 8, "refused", Packets5.props(Packets5.intProp(
                            MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER, 5))));

            var received = client.received();
            assertThat(received).extracting(Packets5::type)
                    .containsExactly(MqttMessageType.PUBACK, MqttMessageType.DISCONNECT);
            assertThat(Packets5.ackedId(received.get(0))).isEqualTo(7);
            assertThat(Packets5.reasonOf(received.get(1))).isEqualTo(0x82);
            assertThat(client.isOpen()).isFalse();
        }
    }
}
