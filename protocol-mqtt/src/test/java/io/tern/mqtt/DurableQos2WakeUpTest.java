package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.storage.MessageLog;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.tern.mqtt.Packets5.publish;
import static io.tern.mqtt.Packets5.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A QoS 2 delivery to a persistent session waits for its log write before it is sent. Found in a
 * full-suite run: when the group commit landed between the send attempt ("not durable yet") and
 * the queueing ("durable now, nothing to wait for"), the delivery stayed queued until some other
 * event drained the queue.
 */
class DurableQos2WakeUpTest {

    /** Not done the first time anyone asks, and done from then on: a commit landing in between. */
    private static final class CommitsWhileAsked extends CompletableFuture<Void> {
        private boolean asked;

        @Override
        public boolean isDone() {
            if (!asked) {
                asked = true;
                complete(null);
                return false;
            }
            return super.isDone();
        }
    }

    private static final MessageLog COMMITS_WHILE_ASKED = DurableLogs.withBarriers(CommitsWhileAsked::new);

    @Test
    void aDeliveryThatBecameDurableWhileItWasQueuedIsStillSent() {
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), BrokerSettings.defaults(),
                Authenticator.allowAll(), COMMITS_WHILE_ASKED)) {
            TailHarness.Connection subscriber = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(Packets5.connect(MqttVersion.MQTT_3_1_1, "keeper", false), subscribe(1, "kept/#", 2));
            assertThat(types(subscriber.received())).containsExactly(MqttMessageType.CONNACK, MqttMessageType.SUBACK);

            harness.connect(MqttVersion.MQTT_3_1_1).send(Packets5.connect(MqttVersion.MQTT_3_1_1, "pub", true),
                    publish("kept/t", 2, 7, "stored first", MqttProperties.NO_PROPERTIES));

            assertThat(types(subscriber.received())).containsExactly(MqttMessageType.PUBLISH);
        }
    }

    private static List<MqttMessageType> types(List<MqttMessage> messages) {
        return messages.stream().map(Packets5::type).toList();
    }
}
