package io.tern.app.config;

/**
 * The HTTP bridge listener and its request limits.
 *
 * @param maxBodyBytes          larger request bodies get 413
 * @param maxConcurrentRequests requests in progress beyond this get 503
 */
public record HttpListenerConfig(ListenerConfig listener, int maxBodyBytes, int maxConcurrentRequests) {
}
