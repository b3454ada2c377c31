package io.tern.core.storage;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The durable side of persistent sessions' message flow: QoS 1/2 deliveries waiting for (or in)
 * their exchange with the client, and inbound QoS 2 packet identifiers awaiting PUBREL.
 *
 * <p>Writes are queued and group-committed; none blocks the caller. {@link #barrier()} completes
 * once everything queued before it (here and in the same storage's other stores) is durable, which
 * is when the broker may acknowledge. Threading: calls for one client id are ordered by the
 * caller; any thread may call.
 */
public interface MessageLog {

    /** Whether anything is written at all (false: in-memory, every barrier is already complete). */
    boolean isDurable();

    /** A delivery queued for a persistent session; {@code seq} orders them and names them. */
    void append(String clientId, StoredDelivery delivery);

    /** The client sent PUBREC for this delivery ({@code released} set): from now on only PUBREL is resent for it. */
    void release(String clientId, StoredDelivery delivery);

    /** The exchange for {@code seq} is over (PUBACK, PUBCOMP, expiry, overflow). */
    void remove(String clientId, long seq);

    /** An inbound QoS 2 PUBLISH was routed; its packet id must survive until PUBREL. */
    void inboundAdd(String clientId, int packetId);

    void inboundRemove(String clientId, int packetId);

    /** Completes when everything written before this call is durable. */
    CompletionStage<Void> barrier();

    /** At start-up: the session's deliveries in {@code seq} order. */
    List<StoredDelivery> queued(String clientId);

    /** At start-up: the session's inbound QoS 2 packet ids awaiting PUBREL. */
    Set<Integer> inbound(String clientId);

    CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    /** Nothing is kept: the in-memory broker. */
    MessageLog NONE = new Discarding();

    /** Keeps nothing and answers every barrier at once; open so tests can vary one answer. */
    class Discarding implements MessageLog {
        @Override
        public boolean isDurable() {
            return false;
        }

        @Override
        public void append(String clientId, StoredDelivery delivery) {
        }

        @Override
        public void release(String clientId, StoredDelivery delivery) {
        }

        @Override
        public void remove(String clientId, long seq) {
        }

        @Override
        public void inboundAdd(String clientId, int packetId) {
        }

        @Override
        public void inboundRemove(String clientId, int packetId) {
        }

        @Override
        public CompletionStage<Void> barrier() {
            return DONE;
        }

        @Override
        public List<StoredDelivery> queued(String clientId) {
            return List.of();
        }

        @Override
        public Set<Integer> inbound(String clientId) {
            return Set.of();
        }
    }
}
