package io.tern.app.config;

import io.tern.core.BrokerSettings;
import io.tern.mqtt.MqttTailSettings;

/**
 * The whole configuration, typed and validated.
 *
 * @param ioThreads event-loop threads (0 means one per two cores, at least one)
 * @param sysIntervalSeconds how often $SYS topics are published (0: never)
 * @param warmUpMessages messages run through a throwaway broker at start-up so the message path
 *                       is compiled before clients arrive (0: none)
 * @param warmUpConnections connect-and-disconnect cycles run against that broker, for the
 *                          connect path (0: none)
 */
public record TernConfig(
        ListenerConfig tcp,
        WebSocketListenerConfig websocket,
        HttpListenerConfig http,
        CoapListenerConfig coap,
        TlsListenerConfig tls,
        TlsListenerConfig websocketTls,
        TlsListenerConfig https,
        AuthConfig auth,
        LimitsConfig limits,
        StorageConfig storage,
        MqttTailSettings mqtt,
        BrokerSettings broker,
        int ioThreads,
        int sysIntervalSeconds,
        int warmUpMessages,
        int warmUpConnections,
        LoggingConfig logging) {

    public TernConfig withLogging(LoggingConfig newLogging) {
        return new TernConfig(tcp, websocket, http, coap, tls, websocketTls, https, auth, limits, storage, mqtt, broker,
                ioThreads, sysIntervalSeconds, warmUpMessages, warmUpConnections, newLogging);
    }
}
