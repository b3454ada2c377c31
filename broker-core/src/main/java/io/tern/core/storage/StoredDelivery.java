package io.tern.core.storage;

import io.tern.core.message.Message;

import java.util.List;

/**
 * A QoS 1/2 delivery to one persistent session as stored: the outgoing message (QoS and retain
 * already as the subscription asks), its Subscription Identifiers, and whether the client has
 * already sent PUBREC for it (then only PUBREL is left to send).
 *
 * @param seq per-session sequence number: the storage order and the source of its packet id
 */
public record StoredDelivery(long seq, Message message, List<Integer> subscriptionIdentifiers, boolean released) {
    public StoredDelivery {
        subscriptionIdentifiers = List.copyOf(subscriptionIdentifiers);
    }
}
