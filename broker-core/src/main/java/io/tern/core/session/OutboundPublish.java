package io.tern.core.session;

import io.tern.core.message.Message;

import java.util.List;

/**
 * A PUBLISH the session asks its connection to send.
 *
 * @param packetId 0 for QoS 0
 * @param message  with the delivered QoS and retain flag already applied
 * @param nowMillis the time to compute the remaining Message Expiry Interval against, or
 *                  {@link #NOT_EXPIRING} for a message that does not expire (the clock is not read)
 */
public record OutboundPublish(int packetId, Message message, boolean dup, List<Integer> subscriptionIdentifiers,
                              long nowMillis) {
    public static final long NOT_EXPIRING = 0L;
}
