package io.tern.bridge.http;

import io.tern.core.auth.Credentials;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * Reads an {@code Authorization} header into the credentials an MQTT CONNECT would carry:
 * Basic gives username and password; Bearer gives the token as the password with no username
 * (for authenticators that take tokens).
 */
final class HttpCredentials {
    private HttpCredentials() {
    }

    /** The header's credentials, or null when it is neither well-formed Basic nor Bearer. */
    static Credentials parse(String header, String remoteAddress) {
        int space = header.indexOf(' ');
        if (space <= 0) {
            return null;
        }
        String scheme = header.substring(0, space).toLowerCase(Locale.ROOT);
        String value = header.substring(space + 1).strip();
        if (value.isEmpty()) {
            return null;
        }
        if (scheme.equals("bearer")) {
            return new Credentials(null, null, value.getBytes(StandardCharsets.UTF_8), remoteAddress, "http");
        }
        if (!scheme.equals("basic")) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = -1;
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon <= 0) {
            return null;
        }
        String username = new String(decoded, 0, colon, StandardCharsets.UTF_8);
        byte[] password = java.util.Arrays.copyOfRange(decoded, colon + 1, decoded.length);
        return new Credentials(null, username, password, remoteAddress, "http");
    }
}
