package io.tern.mqtt;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttIdentifierRejectedException;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.tern.core.ReasonCode;

/** Maps what Netty's MQTT decoder reports to the reason the spec gives. */
final class DecoderFailures {
    private DecoderFailures() {
    }

    static ReasonCode reasonFor(Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            return ReasonCode.PACKET_TOO_LARGE;
        }
        if (cause instanceof MqttUnacceptableProtocolVersionException) {
            return ReasonCode.UNSUPPORTED_PROTOCOL_VERSION;
        }
        if (cause instanceof MqttIdentifierRejectedException) {
            return ReasonCode.CLIENT_IDENTIFIER_NOT_VALID;
        }
        return ReasonCode.MALFORMED_PACKET;
    }

    /** One line for the log: the cause's message without a stack trace. */
    static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
