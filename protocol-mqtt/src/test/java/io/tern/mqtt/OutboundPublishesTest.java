package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.session.OutboundPublish;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OutboundPublishesTest {

    @Test
    void eachQosDupAndRetainCombinationGetsAHeaderWithExactlyThoseFlags() {
        for (QoS qos : QoS.values()) {
            for (boolean dup : new boolean[]{false, true}) {
                for (boolean retain : new boolean[]{false, true}) {
                    Message message = Message.of("t/" + qos, "x".getBytes(StandardCharsets.UTF_8), qos, retain);
                    MqttPublishMessage built = OutboundPublishes.build(
                            new OutboundPublish(qos == QoS.AT_MOST_ONCE ? 0 : 7, message, dup, List.of(), 0), false);
                    try {
                        MqttFixedHeader header = built.fixedHeader();
                        assertThat(header.messageType()).isEqualTo(MqttMessageType.PUBLISH);
                        assertThat(header.qosLevel().value()).as("qos").isEqualTo(qos.value());
                        assertThat(header.isDup()).as("dup of %s", header).isEqualTo(dup);
                        assertThat(header.isRetain()).as("retain of %s", header).isEqualTo(retain);
                        assertThat(built.variableHeader().topicName()).isEqualTo("t/" + qos);
                    } finally {
                        built.release();
                    }
                }
            }
        }
    }
}
