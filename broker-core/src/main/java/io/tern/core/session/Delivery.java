package io.tern.core.session;

import io.tern.core.message.Message;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A message on its way to one session: QoS already downgraded to the subscription's maximum
 * [MQTT-3.8.4-8] and the retain flag already set as the subscription asks.
 *
 * @param seq       the delivery's number in the session's message log, or 0 when it is not
 *                  stored (QoS 0, or a session that ends with its connection)
 * @param redelivery recovered after a restart: it may have reached the client before, so DUP is set
 * @param released   recovered after the client's PUBREC: only its PUBREL is left to send
 * @param stored     for a QoS 2 delivery just written to the log: completes when it is durable;
 *                   null when there is nothing to wait for
 */
record Delivery(Message message, List<Integer> subscriptionIdentifiers, long seq, boolean redelivery,
                boolean released, CompletableFuture<Void> stored) {

    Delivery(Message message, List<Integer> subscriptionIdentifiers) {
        this(message, subscriptionIdentifiers, 0, false, false, null);
    }

    Delivery(Message message, List<Integer> subscriptionIdentifiers, long seq, boolean redelivery, boolean released) {
        this(message, subscriptionIdentifiers, seq, redelivery, released, null);
    }

    /**
     * Whether it may go to the client now. A QoS 2 PUBLISH is sent only once stored: the client
     * keeps its packet id until PUBREL, so a message the broker could lose in a crash would leave
     * the client holding an id the broker no longer knows, and a later message reusing that id
     * would be taken for a resend and never delivered [MQTT-4.3.3].
     */
    boolean readyToSend() {
        return stored == null || stored.isDone();
    }

    boolean isStored() {
        return seq > 0;
    }

    /**
     * The packet id of a stored delivery, fixed by its sequence number so that it is the same
     * when resent after a restart [MQTT-4.4.0-1] without writing the id down before sending.
     */
    int storedPacketId() {
        return (int) ((seq - 1) % 65_535) + 1;
    }

    long sizeEstimate() {
        return message.payload().length + message.topic().length() + 64L;
    }
}
