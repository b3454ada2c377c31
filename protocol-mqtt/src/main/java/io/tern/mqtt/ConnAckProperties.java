package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.IntegerProperty;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttProperties.StringProperty;
import io.tern.core.BrokerSettings;
import io.tern.core.message.QoS;

/** The v5 CONNACK properties that tell a client what this server allows [MQTT-3.2.2-?]. */
final class ConnAckProperties {
    private ConnAckProperties() {
    }

    static MqttProperties build(ConnectPlan.Accept plan, MqttTailSettings tail, BrokerSettings broker) {
        MqttProperties properties = new MqttProperties();
        if (plan.assignedClientId()) {
            properties.add(new StringProperty(MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(), plan.clientId()));
        }
        if (plan.expiryWasCapped()) {
            properties.add(new IntegerProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(),
                    (int) plan.sessionExpiry()));
        }
        if (tail.receiveMaximum() < 65_535) {
            properties.add(new IntegerProperty(MqttPropertyType.RECEIVE_MAXIMUM.value(), tail.receiveMaximum()));
        }
        properties.add(new IntegerProperty(MqttPropertyType.MAXIMUM_PACKET_SIZE.value(), tail.maxPacketSize()));
        if (tail.topicAliasMaximum() > 0) {
            properties.add(new IntegerProperty(MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value(), tail.topicAliasMaximum()));
        }
        if (broker.maxQos() != QoS.EXACTLY_ONCE) {
            properties.add(new IntegerProperty(MqttPropertyType.MAXIMUM_QOS.value(), broker.maxQos().value()));
        }
        if (!broker.retainAvailable()) {
            properties.add(new IntegerProperty(MqttPropertyType.RETAIN_AVAILABLE.value(), 0));
        }
        if (plan.keepAliveChanged()) {
            properties.add(new IntegerProperty(MqttPropertyType.SERVER_KEEP_ALIVE.value(), plan.keepAliveSeconds()));
        }
        if (plan.requestResponseInformation() && !tail.responseInformationPrefix().isEmpty()) {
            properties.add(new StringProperty(MqttPropertyType.RESPONSE_INFORMATION.value(),
                    tail.responseInformationPrefix() + plan.clientId()));
        }
        return properties;
    }
}
