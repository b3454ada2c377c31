package io.tern.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.tern.mqtt.Packets5.connect;
import static io.tern.mqtt.Packets5.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A retained QoS 2 message for a persistent session's new subscription waits for its log write
 * before it is sent; once the write lands it goes out by itself, with nothing else happening on
 * the connection.
 */
class RetainedQos2WakeUpTest {
    private final DurableLogs.HeldCommits store = new DurableLogs.HeldCommits();
    private final List<CompletableFuture<Void>> commits = store.commits;

    @Test
    void aRetainedQos2MessageIsSentOnceItsWriteLands() {
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), BrokerSettings.defaults(),
                Authenticator.allowAll(), store.log)) {
            TailHarness.Connection subscriber = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "keeper", false));
            harness.connect(MqttVersion.MQTT_3_1_1).send(connect(MqttVersion.MQTT_3_1_1, "retainer", true),
                    MqttMessageBuilders.publish().topicName("kept/t").qos(MqttQoS.EXACTLY_ONCE).messageId(1)
                            .retained(true).payload(Unpooled.wrappedBuffer(new byte[]{43})).build());
            store.completeAll();
            commits.clear();
            assertThat(subscriber.received()).extracting(Packets5::type).containsExactly(MqttMessageType.CONNACK);

            subscriber.send(subscribe(1, "kept/#", 2));
            assertThat(subscriber.received()).extracting(Packets5::type).containsExactly(MqttMessageType.SUBACK);
            assertThat(commits).isNotEmpty(); // the retained copy's log write, not yet done

            store.completeAll();
            List<MqttMessage> after = subscriber.received();
            assertThat(after).extracting(Packets5::type).containsExactly(MqttMessageType.PUBLISH);
            assertThat(after.get(0).fixedHeader().qosLevel()).isEqualTo(MqttQoS.EXACTLY_ONCE);
            assertThat(after.get(0).fixedHeader().isRetain()).isTrue();
        }
    }
}
