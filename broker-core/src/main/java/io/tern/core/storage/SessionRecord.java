package io.tern.core.storage;

import io.tern.core.session.WillMessage;

import io.tern.core.routing.Subscription;

import java.util.List;

/**
 * What outlives a connection of a persistent session: its subscriptions and when it expires.
 *
 * @param expiryIntervalSeconds the Session Expiry Interval, {@link io.tern.core.session.Session#NEVER_EXPIRES} for never
 * @param disconnectedAtMillis  when the last connection closed, or 0 while connected
 * @param username              the user it was last authenticated as (its ACL after a restart), or null
 * @param will                  the connected client's will, or the pending delayed will, or null
 * @param willDueAtMillis       when the pending will is due; 0 when {@code will} belongs to a
 *                              connected client (due after its delay if the broker dies)
 */
public record SessionRecord(
        String clientId,
        long expiryIntervalSeconds,
        long disconnectedAtMillis,
        List<Subscription> subscriptions,
        String username,
        WillMessage will,
        long willDueAtMillis) {

    public SessionRecord {
        subscriptions = List.copyOf(subscriptions);
    }

    public SessionRecord(String clientId, long expiryIntervalSeconds, long disconnectedAtMillis,
                         List<Subscription> subscriptions) {
        this(clientId, expiryIntervalSeconds, disconnectedAtMillis, subscriptions, null, null, 0);
    }

    public SessionRecord(String clientId, long expiryIntervalSeconds, long disconnectedAtMillis,
                         List<Subscription> subscriptions, String username) {
        this(clientId, expiryIntervalSeconds, disconnectedAtMillis, subscriptions, username, null, 0);
    }
}
