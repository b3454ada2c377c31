package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
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
import static io.tern.mqtt.Packets5.type;
import static org.assertj.core.api.Assertions.assertThat;

/** A store that cannot write (disk full, I/O error): nothing it was to keep is acknowledged. */
class StorageFailureTest {

    /** Takes every write and fails every barrier, as a store whose disk is gone would. */
    private static final MessageLog FAILING = DurableLogs.withBarriers(
            () -> CompletableFuture.failedFuture(new IllegalStateException("No space left on device")));

    private static List<MqttMessageType> types(List<MqttMessage> messages) {
        return messages.stream().map(Packets5::type).toList();
    }

    @Test
    void aMessageThatCouldNotBeStoredIsNeverAcknowledged() {
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), BrokerSettings.defaults(),
                Authenticator.allowAll(), FAILING)) {
            MqttProperties persistent = new MqttProperties();
            persistent.add(new MqttProperties.IntegerProperty(
                    MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), 60));
            TailHarness.Connection subscriber = harness.connect(MqttVersion.MQTT_5).send(MqttMessageBuilders.connect()
                    .protocolVersion(MqttVersion.MQTT_5).clientId("keeper").cleanSession(true).properties(persistent)
                    .build(), subscribe(1, "kept/#", 2));
            assertThat(types(subscriber.received())).containsExactly(MqttMessageType.CONNACK, MqttMessageType.SUBACK);

            // Nothing to store (no persistent subscriber): acknowledged as usual.
            TailHarness.Connection free = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(Packets5.connect(MqttVersion.MQTT_3_1_1, "free", true),
                            publish("elsewhere/t", 1, 1, "x", MqttProperties.NO_PROPERTIES));
            assertThat(types(free.received())).containsExactly(MqttMessageType.CONNACK, MqttMessageType.PUBACK);

            for (int qos = 1; qos <= 2; qos++) {
                TailHarness.Connection publisher = harness.connect(MqttVersion.MQTT_5)
                        .send(Packets5.connect(MqttVersion.MQTT_5, "pub" + qos, true),
                                publish("kept/t", qos, 7, "must be stored", MqttProperties.NO_PROPERTIES));
                assertThat(types(publisher.received())).as("QoS %d", qos).containsExactly(MqttMessageType.CONNACK);
                assertThat(publisher.isOpen()).as("closed, so the client sends it again").isFalse();
            }
        }
    }
}
