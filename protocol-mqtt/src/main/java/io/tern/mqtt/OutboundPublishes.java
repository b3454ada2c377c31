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
    private OutboundPublishes() {
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
        MqttFixedHeader fixedHeader = new MqttFixedHeader(MqttMessageType.PUBLISH, publish.dup(),
                MqttQoS.valueOf(message.qos().value()), message.retain(), 0);
        return new MqttPublishMessage(fixedHeader,
                new MqttPublishVariableHeader(message.topic(), publish.packetId(), properties),
                Unpooled.wrappedBuffer(message.payload()));
    }

    static long size(OutboundPublish publish, boolean v5) {
        return PacketSizes.publishSize(publish.message(), v5, publish.subscriptionIdentifiers(),
                publish.message().expires());
    }
}
