package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.ReasonCode;

import java.util.List;

/**
 * What differs between MQTT 3.1/3.1.1 and 5.0 on the server side: how outcomes are expressed.
 * Everything else (flows, state, validation) is written once in {@link MqttConnectionHandler}.
 */
interface ProtocolAdapter {

    MqttVersion version();

    boolean isV5();

    /** CONNACK with the outcome; v3 maps reason codes onto its six return codes. */
    MqttMessage connAck(ReasonCode reasonCode, boolean sessionPresent, MqttProperties properties);

    MqttMessage pubAck(int packetId, ReasonCode reasonCode, String reason);

    MqttMessage pubRec(int packetId, ReasonCode reasonCode, String reason);

    MqttMessage pubRel(int packetId, ReasonCode reasonCode);

    MqttMessage pubComp(int packetId, ReasonCode reasonCode);

    MqttMessage subAck(int packetId, List<ReasonCode> reasonCodes);

    MqttMessage unsubAck(int packetId, List<ReasonCode> reasonCodes);

    /** A server DISCONNECT, or null where the version has none (v3 just closes). */
    MqttMessage disconnect(ReasonCode reasonCode, String reason);

    /** Adapters hold no per-connection state, so every connection of a version shares one. */
    static ProtocolAdapter forVersion(MqttVersion version, boolean problemInformation) {
        if (version == MqttVersion.MQTT_5) {
            return problemInformation ? Shared.V5 : Shared.V5_NO_PROBLEM_INFORMATION;
        }
        return version == MqttVersion.MQTT_3_1 ? Shared.V3_1 : Shared.V3_1_1;
    }

    /** The shared instances (an interface cannot have private constants). */
    final class Shared {
        private static final ProtocolAdapter V5 = new Mqtt5Adapter(true);
        private static final ProtocolAdapter V5_NO_PROBLEM_INFORMATION = new Mqtt5Adapter(false);
        private static final ProtocolAdapter V3_1 = new Mqtt3Adapter(MqttVersion.MQTT_3_1);
        private static final ProtocolAdapter V3_1_1 = new Mqtt3Adapter(MqttVersion.MQTT_3_1_1);

        private Shared() {
        }
    }
}
