package io.tern.app.config;

import io.tern.core.BrokerSettings;
import io.tern.mqtt.MqttTailSettings;

/**
 * The whole configuration, typed and validated.
 *
 * @param ioThreads event-loop threads (0 means one per core)
 */
public record TernConfig(
        ListenerConfig tcp,
        WebSocketListenerConfig websocket,
        HttpListenerConfig http,
        CoapListenerConfig coap,
        MqttTailSettings mqtt,
        BrokerSettings broker,
        int ioThreads) {
}
