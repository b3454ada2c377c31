package io.tern.mqtt;

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

/** Builds the PUBLISH a session sends. The payload array is wrapped, not copied, across a fan-out. */
final class OutboundPublishes {
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

    static MqttPublishMessage build(OutboundPublish publish, boolean v5) {
        Message message = publish.message();
        MqttProperties properties = MqttProperties.NO_PROPERTIES;
        if (v5) {
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
