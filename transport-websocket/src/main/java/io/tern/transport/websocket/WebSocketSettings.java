package io.tern.transport.websocket;

import java.util.List;

/**
 * @param path             the upgrade path (default /mqtt); other paths get 404
 * @param maxFrameBytes    larger WebSocket frames close the connection (1009)
 * @param maxMessageBytes  larger messages assembled from continuation frames close it too
 * @param allowedOrigins   browser Origins allowed to connect; empty allows all
 * @param trustedProxies   peer addresses whose X-Forwarded-For / X-Real-IP are believed
 * @param upgradeTimeoutMillis a connection that does not complete the upgrade in time is closed
 */
public record WebSocketSettings(String host, int port, String path, int maxConnections, int maxFrameBytes,
                                int maxMessageBytes, List<String> allowedOrigins, List<String> trustedProxies,
                                long upgradeTimeoutMillis) {
    public WebSocketSettings {
        allowedOrigins = List.copyOf(allowedOrigins);
        trustedProxies = List.copyOf(trustedProxies);
    }
}
