package io.tern.core.auth;

/**
 * What a client presented to authenticate.
 *
 * @param password raw bytes (MQTT passwords are binary data), or null
 */
public record Credentials(String clientId, String username, byte[] password, String remoteAddress, String protocol) {
}
