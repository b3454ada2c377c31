package io.tern.app;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;

/** CONNECT packets with wills, for raw clients that then vanish. */
final class WillClients {
    private WillClients() {
    }

    /** CONNECT properties with a Session Expiry Interval. */
    static MqttProperties sessionExpiry(int sessionExpiry) {
        MqttProperties properties = new MqttProperties();
        properties.add(new MqttProperties.IntegerProperty(
                MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), sessionExpiry));
        return properties;
    }

    static MqttMessage connectWithWill(String clientId, String willTopic, int willDelaySeconds, int sessionExpiry) {
        MqttProperties willProperties = new MqttProperties();
        willProperties.add(new MqttProperties.IntegerProperty(
                MqttProperties.MqttPropertyType.WILL_DELAY_INTERVAL.value(), willDelaySeconds));
        return MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId(clientId).cleanSession(true)
                .keepAlive(60).properties(sessionExpiry(sessionExpiry))
                .willFlag(true).willTopic(willTopic).willMessage(willTopic.getBytes()).willQoS(MqttQoS.AT_MOST_ONCE)
                .willProperties(willProperties).build();
    }

    static MqttMessage connectV3WithWill(String clientId, String willTopic, boolean willRetain) {
        return MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId(clientId)
                .cleanSession(true).keepAlive(60).willFlag(true).willTopic(willTopic)
                .willMessage("offline".getBytes()).willQoS(MqttQoS.AT_LEAST_ONCE).willRetain(willRetain).build();
    }
}
