package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectPlanTest {

    @Test
    void thePlanKeptForTheConnectionHoldsNoPassword() {
        MqttConnectMessage connect = MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5)
                .clientId("c").cleanSession(true).username("alice")
                .password("secret".getBytes(StandardCharsets.UTF_8))
                .willFlag(true).willTopic("w").willMessage("bye".getBytes(StandardCharsets.UTF_8)).build();
        ConnectPlan.Accept plan = (ConnectPlan.Accept) new ConnectTranslator(MqttTailSettings.defaults(),
                BrokerSettings.defaults()).translate(connect, new ClientOrigin("127.0.0.1", null), 0, "mqtt");
        assertThat(plan.credentials().password()).isNotNull(); // handed to the authenticator

        ConnectPlan.Accept kept = plan.withoutSecrets();
        assertThat(kept.credentials().password()).isNull();
        assertThat(kept.will()).isNull();
        assertThat(kept.credentials().username()).isEqualTo("alice");
        assertThat(kept.clientId()).isEqualTo("c");
        assertThat(kept.keepAliveSeconds()).isEqualTo(plan.keepAliveSeconds());
        assertThat(kept.clientMaxPacketSize()).isEqualTo(plan.clientMaxPacketSize());
    }
}
