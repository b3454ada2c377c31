package io.tern.core.session;

import io.tern.core.auth.Credentials;

/**
 * Everything the domain needs from a CONNECT, protocol-neutral.
 *
 * @param sessionExpirySeconds already resolved for the protocol version (v3 clean session 0 maps
 *                             to the configured persistent expiry) and capped by the server
 * @param receiveMaximum       how many unacknowledged QoS 1/2 messages the client accepts
 */
public record ConnectRequest(
        String clientId,
        boolean cleanStart,
        long sessionExpirySeconds,
        WillMessage will,
        Credentials credentials,
        int receiveMaximum,
        SessionConnection connection) {
}
