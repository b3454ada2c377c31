package io.tern.app.config;

import java.util.Map;

/**
 * The CoAP bridge (UDP) and its optional DTLS port.
 *
 * @param dtlsPreSharedKeys identity to secret; DTLS is on when {@code dtlsEnabled}
 */
public record CoapListenerConfig(ListenerConfig listener, int maxPayloadBytes, int maxObservers,
                                 int notificationCheckSeconds, int notificationCheckCount,
                                 boolean dtlsEnabled, int dtlsPort, Map<String, String> dtlsPreSharedKeys) {
    public CoapListenerConfig {
        dtlsPreSharedKeys = Map.copyOf(dtlsPreSharedKeys);
    }
}
