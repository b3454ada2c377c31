package io.tern.app.config;

import java.util.List;

/**
 * The MQTT-over-WebSocket listener.
 *
 * @param allowedOrigins browser Origins that may connect; empty allows all
 * @param trustedProxies peer IPs whose X-Forwarded-For / X-Real-IP headers are believed
 */
public record WebSocketListenerConfig(ListenerConfig listener, int maxFrameBytes, int maxMessageBytes,
                                      List<String> allowedOrigins, List<String> trustedProxies) {
    public WebSocketListenerConfig {
        allowedOrigins = List.copyOf(allowedOrigins);
        trustedProxies = List.copyOf(trustedProxies);
    }
}
