package io.tern.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.tern.core.message.Message;
import io.tern.core.session.OutboundPublish;

/**
 * The PUBLISH a session sends. One without properties, the common case, is written straight
 * into the buffer that goes to the socket; one with properties is built as a message for
 * Netty's encoder, which encodes MQTT 5 properties. Either way the payload array is shared
 * across a fan-out and copied once per subscriber, into that buffer.
 */
final class OutboundPublishes {
    private static final int PUBLISH_TYPE = MqttMessageType.PUBLISH.value() << 4;
    /**
     * Every PUBLISH fixed header a session sends, by QoS, DUP and RETAIN: the header is immutable
     * and the encoder computes the remaining length itself, so one instance per combination
     * serves every message.
     */
    private static final MqttFixedHeader[] FIXED_HEADERS = new MqttFixedHeader[12];

    static {
        for (MqttQoS qos : new MqttQoS[]{MqttQoS.AT_MOST_ONCE, MqttQoS.AT_LEAST_ONCE, MqttQoS.EXACTLY_ONCE}) {
            for (int flags = 0; flags < 4; flags++) {
                boolean dup = (flags & 2) != 0;
                boolean retain = (flags & 1) != 0;
                FIXED_HEADERS[fixedHeaderIndex(qos.value(), dup, retain)] =
                        new MqttFixedHeader(MqttMessageType.PUBLISH, dup, qos, retain, 0);
            }
        }
    }

    private OutboundPublishes() {
    }

    private static int fixedHeaderIndex(int qos, boolean dup, boolean retain) {
        return qos * 4 + (dup ? 2 : 0) + (retain ? 1 : 0);
    }

    /**
     * What to write for {@code publish}: its encoded bytes when it carries no properties (the
     * encoder passes a buffer through), else a message for the encoder. Bytes for bytes what
     * Netty's encoder writes for {@link #build}; writing them here saves the message, its
     * variable header, a buffer wrapping the payload and the encoder's duplicate of that, per
     * delivery.
     */
    static Object encode(ByteBufAllocator allocator, OutboundPublish publish, boolean v5) {
        if (v5 && carriesProperties(publish)) {
            return build(publish, true);
        }
        Message message = publish.message();
        String topic = message.topic();
        byte[] payload = message.payload();
        int qos = message.qos().value();
        int topicBytes = ByteBufUtil.utf8Bytes(topic);
        int remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
        ByteBuf out = allocator.buffer(1 + PacketSizes.variableIntSize(remaining) + remaining);
        out.writeByte(PUBLISH_TYPE | (publish.dup() ? 0x08 : 0) | qos << 1 | (message.retain() ? 0x01 : 0));
        writeVariableInt(out, remaining);
        out.writeShort(topicBytes);
        ByteBufUtil.reserveAndWriteUtf8(out, topic, topicBytes);
        if (qos > 0) {
            out.writeShort(publish.packetId());
        }
        if (v5) {
            out.writeByte(0); // property length: none
        }
        out.writeBytes(payload);
        return out;
    }

    private static boolean carriesProperties(OutboundPublish publish) {
        Message message = publish.message();
        return !message.properties().isEmpty() || message.expires() || !publish.subscriptionIdentifiers().isEmpty();
    }

    /** The MQTT variable byte integer [MQTT-1.5.5]: seven bits a byte, low first. */
    private static void writeVariableInt(ByteBuf out, int value) {
        int remaining = value;
        do {
            int digit = remaining & 0x7F;
            remaining >>>= 7;
            out.writeByte(remaining > 0 ? digit | 0x80 : digit);
        } while (remaining > 0);
    }

    static MqttPublishMessage build(OutboundPublish publish, boolean v5) {
        Message message = publish.message();
        MqttProperties properties = MqttProperties.NO_PROPERTIES;
        if (v5 && carriesProperties(publish)) {
            properties = new MqttProperties();
            Mqtt5Properties.addMessageProperties(properties, message.properties());
            if (message.expires()) {
                // [MQTT-3.3.2-6] forward the remaining lifetime, not the original interval.
                properties.add(new MqttProperties.IntegerProperty(MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value(),
                        (int) message.remainingExpirySeconds(publish.nowMillis())));
            }
            for (int id : publish.subscriptionIdentifiers()) {
                properties.add(new MqttProperties.IntegerProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value(), id));
            }
        }
        MqttFixedHeader fixedHeader = FIXED_HEADERS[fixedHeaderIndex(message.qos().value(), publish.dup(), message.retain())];
        return new MqttPublishMessage(fixedHeader,
                new MqttPublishVariableHeader(message.topic(), publish.packetId(), properties),
                Unpooled.wrappedBuffer(message.payload()));
    }

    static long size(OutboundPublish publish, boolean v5) {
        return PacketSizes.publishSize(publish.message(), v5, publish.subscriptionIdentifiers(),
                publish.message().expires());
    }
}
