package io.tern.bridge.http;

/**
 * @param maxBodyBytes          request bodies larger than this get 413
 * @param maxConcurrentRequests requests in progress (until their response is written) beyond
 *                              this get 503
 */
public record HttpBridgeSettings(String host, int port, int maxConnections, int maxBodyBytes,
                                 int maxConcurrentRequests) {
}
