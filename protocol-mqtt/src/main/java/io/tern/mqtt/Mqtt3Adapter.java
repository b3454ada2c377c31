package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.ReasonCode;

import java.util.List;

/** MQTT 3.1 and 3.1.1: return codes only, no properties, no server DISCONNECT. */
final class Mqtt3Adapter implements ProtocolAdapter {
    /** SUBACK failure return code [MQTT-3.9.3-?]. */
    private static final int SUBACK_FAILURE = 0x80;

    private final MqttVersion version;

    Mqtt3Adapter(MqttVersion version) {
        this.version = version;
    }

    @Override
    public MqttVersion version() {
        return version;
    }

    @Override
    public boolean isV5() {
        return false;
    }

    @Override
    public MqttMessage connAck(ReasonCode reasonCode, boolean sessionPresent, MqttProperties properties) {
        return MqttMessageBuilders.connAck()
                .returnCode(returnCode(reasonCode))
                .sessionPresent(sessionPresent && reasonCode == ReasonCode.SUCCESS)
                .build();
    }

    /**
     * The v3 return code closest to a v5 reason. Wrong credentials get 0x05 (not authorized),
     * as Mosquitto answers: 3.1.1 reserves 0x04 for a user name or password that is malformed.
     */
    static MqttConnectReturnCode returnCode(ReasonCode reasonCode) {
        return switch (reasonCode) {
            case SUCCESS -> MqttConnectReturnCode.CONNECTION_ACCEPTED;
            case UNSUPPORTED_PROTOCOL_VERSION -> MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION;
            case CLIENT_IDENTIFIER_NOT_VALID -> MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED;
            case MALFORMED_PACKET -> MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
            case BAD_USER_NAME_OR_PASSWORD, BAD_AUTHENTICATION_METHOD, NOT_AUTHORIZED, BANNED ->
                    MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
            default -> MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
        };
    }

    @Override
    public MqttMessage pubAck(int packetId, ReasonCode reasonCode, String reason) {
        return Packets.pubReply(MqttMessageType.PUBACK, packetId, (byte) 0, MqttProperties.NO_PROPERTIES);
    }

    @Override
    public MqttMessage pubRec(int packetId, ReasonCode reasonCode, String reason) {
        return Packets.pubReply(MqttMessageType.PUBREC, packetId, (byte) 0, MqttProperties.NO_PROPERTIES);
    }

    @Override
    public MqttMessage pubRel(int packetId, ReasonCode reasonCode) {
        return Packets.pubReply(MqttMessageType.PUBREL, packetId, (byte) 0, MqttProperties.NO_PROPERTIES);
    }

    @Override
    public MqttMessage pubComp(int packetId, ReasonCode reasonCode) {
        return Packets.pubReply(MqttMessageType.PUBCOMP, packetId, (byte) 0, MqttProperties.NO_PROPERTIES);
    }

    @Override
    public MqttMessage subAck(int packetId, List<ReasonCode> reasonCodes) {
        int[] codes = new int[reasonCodes.size()];
        for (int i = 0; i < codes.length; i++) {
            ReasonCode code = reasonCodes.get(i);
            codes[i] = code.isError() ? SUBACK_FAILURE : code.code();
        }
        return Packets.subAck(packetId, codes);
    }

    @Override
    public MqttMessage unsubAck(int packetId, List<ReasonCode> reasonCodes) {
        return Packets.unsubAck(packetId, List.of()); // v3 UNSUBACK has no payload
    }

    @Override
    public MqttMessage disconnect(ReasonCode reasonCode, String reason) {
        return null;
    }
}
