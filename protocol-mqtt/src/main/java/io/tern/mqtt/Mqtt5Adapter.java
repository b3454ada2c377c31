package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.ReasonCode;

import java.util.List;

/** MQTT 5: reason codes and reason strings on every acknowledgement. */
final class Mqtt5Adapter implements ProtocolAdapter {

    /** Request Problem Information 0 forbids reason strings except on PUBLISH, CONNACK, DISCONNECT [MQTT-3.1.2-29]. */
    private final boolean problemInformation;

    Mqtt5Adapter(boolean problemInformation) {
        this.problemInformation = problemInformation;
    }

    @Override
    public MqttVersion version() {
        return MqttVersion.MQTT_5;
    }

    @Override
    public boolean isV5() {
        return true;
    }

    @Override
    public MqttMessage connAck(ReasonCode reasonCode, boolean sessionPresent, MqttProperties properties) {
        return MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.valueOf(reasonCode.byteValue()))
                .sessionPresent(sessionPresent && reasonCode == ReasonCode.SUCCESS)
                .properties(properties)
                .build();
    }

    private MqttProperties reasonProperties(String reason) {
        if (!problemInformation || reason == null || reason.isEmpty()) {
            return MqttProperties.NO_PROPERTIES;
        }
        MqttProperties properties = new MqttProperties();
        Mqtt5Properties.addReasonString(properties, reason);
        return properties;
    }

    @Override
    public MqttMessage pubAck(int packetId, ReasonCode reasonCode, String reason) {
        return Packets.pubReply(MqttMessageType.PUBACK, packetId, reasonCode.byteValue(), reasonProperties(reason));
    }

    @Override
    public MqttMessage pubRec(int packetId, ReasonCode reasonCode, String reason) {
        return Packets.pubReply(MqttMessageType.PUBREC, packetId, reasonCode.byteValue(), reasonProperties(reason));
    }

    @Override
    public MqttMessage pubRel(int packetId, ReasonCode reasonCode) {
        return Packets.pubReply(MqttMessageType.PUBREL, packetId, reasonCode.byteValue(), MqttProperties.NO_PROPERTIES);
    }

    @Override
    public MqttMessage pubComp(int packetId, ReasonCode reasonCode) {
        return Packets.pubReply(MqttMessageType.PUBCOMP, packetId, reasonCode.byteValue(), MqttProperties.NO_PROPERTIES);
    }

    @Override
    public MqttMessage subAck(int packetId, List<ReasonCode> reasonCodes) {
        return Packets.subAck(packetId, reasonCodes.stream().mapToInt(ReasonCode::code).toArray());
    }

    @Override
    public MqttMessage unsubAck(int packetId, List<ReasonCode> reasonCodes) {
        return Packets.unsubAck(packetId, reasonCodes.stream().map(c -> (short) c.code()).toList());
    }

    @Override
    public MqttMessage disconnect(ReasonCode reasonCode, String reason) {
        MqttProperties properties = new MqttProperties();
        Mqtt5Properties.addReasonString(properties, reason);
        return new MqttMessage(
                new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttReasonCodeAndPropertiesVariableHeader(reasonCode.byteValue(), properties));
    }
}
