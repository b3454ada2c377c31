package io.tern.app.config;

/**
 * One listener's address. {@code path} is used by the WebSocket listener only.
 *
 * @param enabled false when absent from the file or switched off
 */
public record ListenerConfig(boolean enabled, String host, int port, String path, int maxConnections) {
}
