package io.tern.core.auth;

/**
 * What a client presented to authenticate.
 *
 * @param password         raw bytes (MQTT passwords are binary data), or null
 * @param verifiedIdentity an identity the transport has already proven (the CN of a verified
 *                         TLS client certificate, a DTLS pre-shared key identity), or null;
 *                         when present it is the username and no password is needed
 */
public record Credentials(String clientId, String username, byte[] password, String remoteAddress, String protocol,
                          String verifiedIdentity) {

    public Credentials(String clientId, String username, byte[] password, String remoteAddress, String protocol) {
        this(clientId, username, password, remoteAddress, protocol, null);
    }
}
