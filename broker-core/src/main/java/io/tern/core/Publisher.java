package io.tern.core;

import io.tern.core.auth.ClientPermissions;

/**
 * Who is publishing: an MQTT client (with its client id, for No Local), or a bridge (HTTP, CoAP,
 * embedded) without one.
 *
 * @param clientId the publishing MQTT client's id, or null for bridges
 * @param username the authenticated user, or null
 * @param protocol a short protocol label for metrics: mqtt, will, http, coap, sys, internal
 * @param permissions the client's permissions when already known (an MQTT connection's), or null
 */
public record Publisher(String clientId, String username, String protocol, ClientPermissions permissions) {
    /** The protocol label of MQTT clients' publishes. */
    public static final String MQTT = "mqtt";
    /** The protocol label of wills, which the broker publishes for an MQTT client that went away. */
    public static final String WILL = "will";

    /** A publisher whose permissions the broker looks up from its username. */
    public Publisher(String clientId, String username, String protocol) {
        this(clientId, username, protocol, null);
    }

    public static Publisher internal() {
        return broker("internal");
    }

    /** The broker itself ($SYS topics, embedded use): not a client, so no ACL or client limits apply. */
    public static Publisher broker(String protocol) {
        return new Publisher(null, null, protocol, ClientPermissions.ALL);
    }

    /** Whether this is the broker publishing (see {@link #broker}), not a client or bridge request. */
    public boolean isBroker() {
        return clientId == null && username == null && permissions == ClientPermissions.ALL;
    }

    public static Publisher mqttClient(String clientId, String username) {
        return new Publisher(clientId, username, MQTT);
    }
}
