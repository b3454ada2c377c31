package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.UserProperty;

import java.util.ArrayList;
import java.util.List;

/** Reading and writing MQTT 5 properties with Netty's {@link MqttProperties}. */
final class Mqtt5Properties {
    private Mqtt5Properties() {
    }

    static Integer integer(MqttProperties properties, MqttPropertyType type) {
        MqttProperties.MqttProperty<?> property = properties.getProperty(type.value());
        return property == null ? null : (Integer) property.value();
    }

    /** Four-byte integers (expiry intervals, maximum packet size) are unsigned. */
    static Long unsignedInt(MqttProperties properties, MqttPropertyType type) {
        Integer value = integer(properties, type);
        return value == null ? null : Integer.toUnsignedLong(value);
    }

    static String string(MqttProperties properties, MqttPropertyType type) {
        MqttProperties.MqttProperty<?> property = properties.getProperty(type.value());
        return property == null ? null : (String) property.value();
    }

    static byte[] binary(MqttProperties properties, MqttPropertyType type) {
        MqttProperties.MqttProperty<?> property = properties.getProperty(type.value());
        return property == null ? null : (byte[]) property.value();
    }

    static boolean has(MqttProperties properties, MqttPropertyType type) {
        return properties.getProperty(type.value()) != null;
    }

    /** The application-message properties forwarded unchanged [MQTT-3.3.2-?]. */
    static MessageProperties messageProperties(MqttProperties properties) {
        if (properties == null || properties.isEmpty()) {
            return MessageProperties.NONE;
        }
        List<? extends MqttProperties.MqttProperty> users = properties.getProperties(MqttPropertyType.USER_PROPERTY.value());
        List<UserProperty> userProperties = new ArrayList<>(users.size());
        for (MqttProperties.MqttProperty<?> user : users) {
            MqttProperties.StringPair pair = (MqttProperties.StringPair) user.value();
            userProperties.add(new UserProperty(pair.key, pair.value));
        }
        return new MessageProperties(
                integer(properties, MqttPropertyType.PAYLOAD_FORMAT_INDICATOR),
                string(properties, MqttPropertyType.CONTENT_TYPE),
                string(properties, MqttPropertyType.RESPONSE_TOPIC),
                binary(properties, MqttPropertyType.CORRELATION_DATA),
                userProperties);
    }

    static void addMessageProperties(MqttProperties target, MessageProperties source) {
        if (source.payloadFormatIndicator() != null) {
            target.add(new MqttProperties.IntegerProperty(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value(),
                    source.payloadFormatIndicator()));
        }
        if (source.contentType() != null) {
            target.add(new MqttProperties.StringProperty(MqttPropertyType.CONTENT_TYPE.value(), source.contentType()));
        }
        if (source.responseTopic() != null) {
            target.add(new MqttProperties.StringProperty(MqttPropertyType.RESPONSE_TOPIC.value(), source.responseTopic()));
        }
        if (source.correlationData() != null) {
            target.add(new MqttProperties.BinaryProperty(MqttPropertyType.CORRELATION_DATA.value(),
                    source.correlationData()));
        }
        for (UserProperty user : source.userProperties()) {
            target.add(new MqttProperties.UserProperty(user.name(), user.value()));
        }
    }

    static void addReasonString(MqttProperties target, String reason) {
        if (reason != null && !reason.isEmpty()) {
            target.add(new MqttProperties.StringProperty(MqttPropertyType.REASON_STRING.value(), reason));
        }
    }
}
