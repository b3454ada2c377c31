package io.tern.core.auth;

/**
 * Decides what an authenticated client may do with topics. Asked once per client (at connect,
 * or per request for the HTTP and CoAP bridges); the answer is asked on the hot paths, so it
 * must answer from memory without blocking.
 */
@FunctionalInterface
public interface Authorizer {

    /**
     * @param clientId the MQTT client id, or null for a bridge request
     * @param username the authenticated user, or null for an anonymous client
     */
    ClientPermissions permissionsFor(String clientId, String username);

    /** Allows everything (the default when no ACL file is configured). */
    static Authorizer allowAll() {
        return (clientId, username) -> ClientPermissions.ALL;
    }
}
