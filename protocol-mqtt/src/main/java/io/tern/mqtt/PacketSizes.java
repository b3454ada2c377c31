package io.tern.mqtt;

import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.message.UserProperty;
import io.tern.core.routing.Topics;

import java.util.List;

/**
 * Encoded size of an outbound PUBLISH, computed without encoding it, so that a message too large
 * for a client's Maximum Packet Size is dropped for that client only [MQTT-3.1.2-24].
 */
final class PacketSizes {
    private PacketSizes() {
    }

    static long publishSize(Message message, boolean v5, List<Integer> subscriptionIds, boolean withExpiry) {
        long variableHeader = 2L + Topics.utf8Length(message.topic());
        if (message.qos() != QoS.AT_MOST_ONCE) {
            variableHeader += 2;
        }
        if (v5) {
            long properties = propertiesSize(message.properties(), subscriptionIds, withExpiry);
            variableHeader += variableIntSize(properties) + properties;
        }
        long remaining = variableHeader + message.payload().length;
        return 1 + variableIntSize(remaining) + remaining;
    }

    private static long propertiesSize(MessageProperties p, List<Integer> subscriptionIds, boolean withExpiry) {
        long size = 0;
        if (p.payloadFormatIndicator() != null) {
            size += 2;
        }
        if (withExpiry) {
            size += 5;
        }
        if (p.contentType() != null) {
            size += 3 + Topics.utf8Length(p.contentType());
        }
        if (p.responseTopic() != null) {
            size += 3 + Topics.utf8Length(p.responseTopic());
        }
        if (p.correlationData() != null) {
            size += 3 + p.correlationData().length;
        }
        for (UserProperty user : p.userProperties()) {
            size += 5 + Topics.utf8Length(user.name()) + Topics.utf8Length(user.value());
        }
        for (int id : subscriptionIds) {
            size += 1 + variableIntSize(id);
        }
        return size;
    }

    static int variableIntSize(long value) {
        if (value < 128) {
            return 1;
        }
        if (value < 16_384) {
            return 2;
        }
        if (value < 2_097_152) {
            return 3;
        }
        return 4;
    }
}
