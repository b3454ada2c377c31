package io.tern.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttVersion;

import java.nio.charset.StandardCharsets;

/** Client-side packet builders for tests. */
final class Packets5 {
    private Packets5() {
    }

    static MqttMessage connect(MqttVersion version, String clientId, boolean cleanStart) {
        return MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(cleanStart)
                .keepAlive(60).build();
    }

    static MqttPublishMessage publish(String topic, int qos, int packetId, String payload, MqttProperties properties) {
        return MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).messageId(packetId)
                .payload(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)).properties(properties).build();
    }

    static MqttMessage subscribe(int packetId, String filter, int qos) {
        return MqttMessageBuilders.subscribe().messageId(packetId).addSubscription(MqttQoS.valueOf(qos), filter).build();
    }

    static MqttMessage pubRel(int packetId) {
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREL, false, MqttQoS.AT_LEAST_ONCE, false, 0),
                MqttMessageIdVariableHeader.from(packetId));
    }

    static MqttProperties props(MqttProperties.MqttProperty<?>... properties) {
        MqttProperties all = new MqttProperties();
        for (MqttProperties.MqttProperty<?> property : properties) {
            all.add(property);
        }
        return all;
    }

    static MqttProperties.IntegerProperty intProp(MqttProperties.MqttPropertyType type, int value) {
        return new MqttProperties.IntegerProperty(type.value(), value);
    }

    static int reasonOf(MqttMessage message) {
        Object header = message.variableHeader();
        if (header instanceof MqttReasonCodeAndPropertiesVariableHeader r) {
            return r.reasonCode() & 0xFF;
        }
        if (header instanceof MqttPubReplyMessageVariableHeader r) {
            return r.reasonCode() & 0xFF;
        }
        if (message instanceof MqttConnAckMessage connAck) {
            return connAck.variableHeader().connectReturnCode().byteValue() & 0xFF;
        }
        return 0;
    }

    static MqttMessageType type(MqttMessage message) {
        return message.fixedHeader().messageType();
    }

    /** The packet id a PUBACK answers (failing the test if it is not a PUBACK). */
    static int ackedId(MqttMessage message) {
        org.assertj.core.api.Assertions.assertThat(type(message)).isEqualTo(MqttMessageType.PUBACK);
        return ((MqttMessageIdVariableHeader) message.variableHeader()).messageId();
    }
}
