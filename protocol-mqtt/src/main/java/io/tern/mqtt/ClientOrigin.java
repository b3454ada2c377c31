package io.tern.mqtt;

/**
 * Where a CONNECT came from, as the transport knows it.
 *
 * @param host             the client's IP address (behind a trusted proxy: the forwarded one)
 * @param verifiedIdentity the CN of a verified client certificate to use as username, or null
 */
record ClientOrigin(String host, String verifiedIdentity) {
}
