package io.tern.bridge.http;

/**
 * @param maxBodyBytes          request bodies larger than this get 413
 * @param maxConcurrentRequests requests being worked on (a password check or store write not
 *                              answered yet) beyond this get 503
 * @param requireCredentials    publishing needs HTTP Basic (or Bearer) credentials accepted by the
 *                              broker's authenticator; otherwise requests without them are anonymous
 */
public record HttpBridgeSettings(String host, int port, int maxConnections, int maxBodyBytes,
                                 int maxConcurrentRequests, boolean requireCredentials) {

    public HttpBridgeSettings(String host, int port, int maxConnections, int maxBodyBytes, int maxConcurrentRequests) {
        this(host, port, maxConnections, maxBodyBytes, maxConcurrentRequests, false);
    }
}
