package io.tern.core.session;

import io.tern.core.BrokerSettings;
import io.tern.core.ReasonCode;
import io.tern.core.message.Message;
import io.tern.core.metrics.BrokerMetrics;
import io.tern.core.message.QoS;
import io.tern.core.storage.StoredDelivery;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The outbound side of one session: the bounded queue with its overflow policy, the inflight
 * window of QoS 1/2 messages with their packet identifiers, and congestion for back-pressure.
 * Owner-thread only, like the session it belongs to; {@link #congested(int)} alone is read by
 * publishers' threads.
 */
final class Outbox {
    private final SessionServices services;
    private final String clientId;
    /** The session's owner: where work continues after the message log's barrier. */
    private final Executor owner;
    private final int highWater;
    private final int lowWater;
    /** Retained deliveries waiting, past which a further subscription's go through the queue. */
    private final int maxRetainedBacklog;
    /*
     * The queue, the inflight map and the spilled deque start as shared empty instances and are
     * created on the first write (the writable... methods): most sessions are idle, and the empty
     * collections were about 250 bytes of every connection. The shared ones are only ever read.
     */
    private static final ArrayDeque<Delivery> NO_DELIVERIES = new ArrayDeque<>(0);
    private static final InflightWindow<Inflight> NO_INFLIGHT = new InflightWindow<>();
    private static final ArrayDeque<Spilled> NO_SPILLED = new ArrayDeque<>(0);
    private ArrayDeque<Delivery> queue = NO_DELIVERIES;
    private InflightWindow<Inflight> inflight = NO_INFLIGHT;
    /**
     * While a persistent session is offline its stored deliveries live only in the message log;
     * memory keeps their sequence numbers and sizes (for the limits and drop_oldest), not the
     * messages. They are read back when a client attaches.
     */
    private ArrayDeque<Spilled> spilled = NO_SPILLED;
    private boolean spilling;
    /**
     * Retained messages for a new subscription, not sent yet: sent ahead of the queue as the window
     * and the socket allow, and outside its limits. Every matching retained message is sent
     * ([MQTT-3.3.1-9]; 3.1.1: [MQTT-3.3.1-6]), however many: through the queue, all but its limit
     * (1,000) were dropped for a subscription matching more. They are the retained store's
     * messages, held by reference.
     */
    private ArrayDeque<Delivery> retainedBacklog = NO_DELIVERIES;

    /** @param sent the client may have received it already (resend with DUP) */
    private record Spilled(long seq, long size, boolean sent) {
    }
    private SessionConnection connection;
    /** The attached connection's transport's sent counters (see BrokerMetrics#deliveriesOver). */
    private BrokerMetrics.SentCounters sentCounters;
    private int queuedQos0;
    /** Written by the owner only; volatile because publishers' threads read it in {@link #congested}. */
    private volatile long queuedBytes;
    private int lastPacketId;
    private int sendQuota;
    private boolean flushNeeded;
    /** queue.size(), readable by publishers' threads. */
    private volatile int queuedCount;
    private volatile boolean congested;

    Outbox(SessionServices services, String clientId, Executor owner) {
        this.services = services;
        this.clientId = clientId;
        this.owner = owner;
        int queued = services.settings().maxQueuedMessages();
        // Publishers of QoS 1/2 are slowed down from three quarters full until half empty, so
        // acknowledged messages are not dropped for a slow reader.
        this.highWater = Math.max(1, queued * 3 / 4);
        this.lowWater = queued / 2;
        this.maxRetainedBacklog = (int) Math.min(Integer.MAX_VALUE, 100L * queued);
    }

    /**
     * Whether the queue, with {@code pendingOffers} still on their way in through the mailbox, is
     * at the high water mark (or has not yet fallen back to the low one). Any thread.
     */
    boolean congested(int pendingOffers) {
        // Occupancy counts what is still in the mailbox: a publisher on another thread can be a
        // burst ahead of the owner.
        if (congested || queuedCount + pendingOffers >= highWater) {
            return true;
        }
        // The byte and broker-wide limits hold publishers back from three quarters too, so that
        // acknowledged messages of connected subscribers are not dropped to keep them.
        BrokerSettings settings = services.settings();
        return (settings.maxQueuedBytes() > 0 && queuedBytes >= settings.maxQueuedBytes() / 4 * 3)
                || (settings.maxQueuedMessagesTotal() > 0
                // This session's offers still in its mailbox count too: otherwise a publisher on
                // another thread runs ahead of the owner past the limit, and what arrives over it
                // is dropped (seen under load: 22 acknowledged QoS 1 messages).
                && services.queuedTotal().get() + pendingOffers >= settings.maxQueuedMessagesTotal() / 4 * 3);
    }

    /** A connection is attached (after its CONNACK): resend what was in flight, then the queue. */
    void attach(SessionConnection newConnection, int receiveMaximum) {
        connection = newConnection;
        sentCounters = services.metrics().deliveriesOver(newConnection.transport());
        sendQuota = Math.max(1, receiveMaximum);
        resendInflight();
        drainQueue();
        flushNeeded = true;
    }

    /** @param durable the session outlives its connection: its stored deliveries leave memory */
    void detach(boolean durable) {
        connection = null;
        congested = false;
        queueRetainedBacklog();
        if (durable) {
            spill();
        }
    }

    /**
     * Retained messages for a new subscription: sent now as far as the window and the socket
     * allow, the rest as they free up, before anything routed after them (a newer message on the
     * same topic must not be overtaken by the retained one).
     */
    void deliverRetained(List<Delivery> deliveries) {
        // One subscription's retained messages are all taken, however many. More while some are
        // still waiting only up to the bound: a client repeating a SUBSCRIBE that matches many,
        // without reading, would otherwise multiply the retained store in this backlog. Past
        // it they go through the queue, under its limits and overflow policy.
        boolean overBound = !retainedBacklog.isEmpty()
                && retainedBacklog.size() + deliveries.size() > maxRetainedBacklog;
        if (connection == null || overBound) {
            deliveries.forEach(this::deliver);
            return;
        }
        if (retainedBacklog == NO_DELIVERIES) {
            retainedBacklog = new ArrayDeque<>(deliveries.size());
        }
        retainedBacklog.addAll(deliveries);
        for (Delivery delivery : deliveries) {
            if (delivery.stored() != null) {
                resumeWhenStored(delivery); // a QoS 2 one waits for its log write: drain once it is done
            }
        }
        drainQueue();
    }

    /**
     * The client left before its retained messages were all sent: they wait in the queue like
     * any other delivery (under its limits), ahead of what was queued after them.
     */
    private void queueRetainedBacklog() {
        if (retainedBacklog.isEmpty()) {
            return;
        }
        ArrayDeque<Delivery> backlog = retainedBacklog;
        retainedBacklog = NO_DELIVERIES;
        ArrayDeque<Delivery> later = queue;
        queue = NO_DELIVERIES;
        later.forEach(this::dequeued);
        backlog.forEach(this::enqueue);
        later.forEach(this::enqueue);
    }

    boolean isSpilled() {
        return spilling;
    }

    /** Moves the stored deliveries, in flight (older) then queued, out of memory. */
    private void spill() {
        spilling = true;
        for (Iterator<Inflight> it = inflight.iterator(); it.hasNext(); ) {
            Inflight entry = it.next();
            if (entry.delivery.isStored()) {
                it.remove();
                services.metrics().inflightDelta(-1);
                writableSpilled().add(new Spilled(entry.delivery.seq(), entry.delivery.sizeEstimate(), true));
                queuedBytes += entry.delivery.sizeEstimate();
                services.queuedTotal().incrementAndGet();
                services.metrics().queuedDelta(1);
            }
        }
        for (Iterator<Delivery> it = queue.iterator(); it.hasNext(); ) {
            Delivery delivery = it.next();
            if (delivery.isStored()) {
                it.remove();
                writableSpilled().add(new Spilled(delivery.seq(), delivery.sizeEstimate(), delivery.redelivery()));
            }
        }
        queuedCount = queueSize();
    }

    /**
     * A client attaches: the spilled deliveries come back from the log ({@code stored}, read
     * after a barrier, so it holds every delivery spilled so far), ahead of anything queued in
     * memory meanwhile. Entries of the log that are not spilled are still on their way through
     * the mailbox and arrive by themselves.
     */
    void unspill(List<StoredDelivery> stored) {
        spilling = false;
        Map<Long, Spilled> bySeq = new HashMap<>();
        for (Spilled entry : spilled) {
            bySeq.put(entry.seq(), entry);
        }
        ArrayDeque<Delivery> back = new ArrayDeque<>(stored.size() + queue.size());
        for (StoredDelivery entry : stored) {
            Spilled meta = bySeq.remove(entry.seq());
            if (meta != null) {
                back.add(new Delivery(entry.message(), entry.subscriptionIdentifiers(), entry.seq(), meta.sent(),
                        entry.released()));
            }
        }
        for (Spilled lost : bySeq.values()) {
            // In memory but not in the log: only if the log could not be read. Counted, not hidden.
            queuedBytes -= lost.size();
            services.queuedTotal().decrementAndGet();
            services.metrics().queuedDelta(-1);
            services.metrics().messageDropped("storage_read_failed");
        }
        spilled = NO_SPILLED;
        back.addAll(queue);
        queue = back;
        queuedCount = queueSize();
    }

    /** Drains the queue once a delivery waiting to be durable is. */
    private void resumeWhenStored(Delivery delivery) {
        delivery.stored().whenComplete((ok, error) -> owner.execute(() -> {
            if (connection != null) {
                drainQueue();
                flushIfNeeded();
            }
        }));
    }

    private ArrayDeque<Delivery> writableQueue() {
        if (queue == NO_DELIVERIES) {
            queue = new ArrayDeque<>(4);
        }
        return queue;
    }

    private ArrayDeque<Spilled> writableSpilled() {
        if (spilled == NO_SPILLED) {
            spilled = new ArrayDeque<>(4);
        }
        return spilled;
    }

    private InflightWindow<Inflight> writableInflight() {
        if (inflight == NO_INFLIGHT) {
            inflight = new InflightWindow<>();
        }
        return inflight;
    }

    /** Deliveries held: in memory and spilled. */
    private int queueSize() {
        return queue.size() + spilled.size();
    }

    /** Routes a delivery: sent now if the window and the socket allow, queued otherwise. */
    void deliver(Delivery delivery) {
        Message message = delivery.message();
        if (connection == null) {
            if (message.qos() == QoS.AT_MOST_ONCE && !services.settings().queueQos0WhileOffline()) {
                services.metrics().messageDropped("offline_qos0");
                return;
            }
            enqueue(delivery);
            return;
        }
        if (queue.isEmpty() && retainedBacklog.isEmpty() && trySend(delivery)) {
            return;
        }
        enqueue(delivery);
    }

    /**
     * Deliveries recovered from the message log at start-up: like an offline session's, they stay
     * in the log until a client attaches (all marked sent: the broker cannot know which were).
     */
    void restore(List<StoredDelivery> stored) {
        spilling = true;
        for (StoredDelivery entry : stored) {
            long size = new Delivery(entry.message(), entry.subscriptionIdentifiers()).sizeEstimate();
            writableSpilled().add(new Spilled(entry.seq(), size, true));
            queuedBytes += size;
            services.queuedTotal().incrementAndGet();
            services.metrics().queuedDelta(1);
        }
        queuedCount = queueSize();
    }

    /** The session ended: drop everything, counted (the store drops its copy with the session). */
    void clear() {
        for (int i = spilled.size(); i > 0; i--) {
            services.metrics().messageDropped("session_ended");
        }
        services.metrics().queuedDelta(-queueSize());
        services.queuedTotal().addAndGet(-queueSize());
        spilled = NO_SPILLED;
        spilling = false;
        queuedBytes = 0;
        for (int i = queue.size(); i > 0; i--) {
            services.metrics().messageDropped("session_ended");
        }
        queue = NO_DELIVERIES;
        for (int i = retainedBacklog.size(); i > 0; i--) {
            services.metrics().messageDropped("session_ended");
        }
        retainedBacklog = NO_DELIVERIES;
        queuedCount = 0;
        queuedQos0 = 0;
        congested = false;
        services.metrics().inflightDelta(-inflight.size());
        inflight = NO_INFLIGHT;
    }

    /** The client's socket can take more: send what is queued. */
    void onWritable() {
        if (connection != null) {
            drainQueue();
            flushIfNeeded();
        }
    }

    private void updateCongestion() {
        int size = queue.size();
        if (connection == null) {
            congested = false;
        } else if (size >= highWater) {
            congested = true;
        } else if (size <= lowWater) {
            congested = false;
        }
    }

    private void enqueue(Delivery delivery) {
        while (true) {
            String full = overLimit(delivery);
            if (full == null) {
                if (reserveTotalPlace()) {
                    break;
                }
                full = "queue_total";
            }
            if (!makeRoom(delivery, full)) {
                services.metrics().messageDropped(full);
                forget(delivery);
                return;
            }
        }
        if (spilling && delivery.isStored()) {
            writableSpilled().add(new Spilled(delivery.seq(), delivery.sizeEstimate(), false)); // the log has it
            queuedBytes += delivery.sizeEstimate();
            queuedCount = queueSize();
            services.metrics().queuedDelta(1);
            return;
        }
        writableQueue().addLast(delivery);
        queuedCount = queueSize();
        if (delivery.stored() != null) {
            // Not "if it is still not durable": the write may have landed since the send attempt
            // found it not durable, and then nothing else would drain the queue. Done by now, the
            // callback runs at once and drains on the owner.
            resumeWhenStored(delivery);
        }
        if (delivery.message().qos() == QoS.AT_MOST_ONCE) {
            queuedQos0++;
        }
        queuedBytes += delivery.sizeEstimate();
        services.metrics().queuedDelta(1);
        updateCongestion();
    }

    /**
     * Takes one place in the count of messages queued over all sessions, unless that is at its
     * limit. Taken, not checked and then added: sessions on other threads queue at the same time,
     * and two that both saw one place left both took it (QueueLimitsTest saw 7 queued against a
     * limit of 6 once the timing of deliveries shifted).
     */
    private boolean reserveTotalPlace() {
        AtomicLong total = services.queuedTotal();
        long limit = services.settings().maxQueuedMessagesTotal();
        if (limit <= 0) {
            total.incrementAndGet();
            return true;
        }
        for (long now = total.get(); now < limit; now = total.get()) {
            if (total.compareAndSet(now, now + 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The limit of this session's own that {@code arriving} would break, as the drop reason to
     * count, or null: its messages (queue_full) or bytes (queue_bytes). Every session's messages
     * together (queue_total) are {@link #reserveTotalPlace}'s. The overflow policy decides what
     * goes in each case.
     */
    private String overLimit(Delivery arriving) {
        BrokerSettings settings = services.settings();
        if (queueSize() >= settings.maxQueuedMessages()) {
            return "queue_full";
        }
        if (settings.maxQueuedBytes() > 0 && queueSize() > 0
                && queuedBytes + arriving.sizeEstimate() > settings.maxQueuedBytes()) {
            return "queue_bytes";
        }
        return null;
    }

    /**
     * Frees one place in a full queue, or returns false when the arriving message is the one to
     * drop. QoS 0 messages go first whatever the policy: an acknowledged QoS 1/2 message is never
     * evicted to make room for a QoS 0 one. Among QoS 1/2 the policy decides.
     */
    private boolean makeRoom(Delivery arriving, String reason) {
        if (queueSize() == 0) {
            return false; // the global limit, with nothing of this session's own to give up
        }
        boolean arrivingQos0 = arriving.message().qos() == QoS.AT_MOST_ONCE;
        boolean dropNew = services.settings().queueOverflowPolicy() == QueueOverflowPolicy.DROP_NEW;
        if (arrivingQos0 && dropNew) {
            return false;
        }
        if (queuedQos0 > 0) {
            for (Iterator<Delivery> it = queue.iterator(); it.hasNext(); ) {
                Delivery dropped = it.next();
                if (dropped.message().qos() == QoS.AT_MOST_ONCE) {
                    it.remove();
                    dequeued(dropped);
                    services.metrics().messageDropped(reason);
                    return true;
                }
            }
        }
        if (arrivingQos0 || dropNew) {
            return false;
        }
        if (!spilled.isEmpty()) {
            Spilled oldest = spilled.pollFirst(); // spilled ones are older than what memory holds
            queuedBytes -= oldest.size();
            queuedCount = queueSize();
            services.queuedTotal().decrementAndGet();
            services.metrics().queuedDelta(-1);
            services.metrics().messageDropped(reason);
            services.log().remove(clientId, oldest.seq());
            return true;
        }
        Delivery oldest = queue.pollFirst();
        dequeued(oldest);
        services.metrics().messageDropped(reason);
        forget(oldest);
        return true;
    }

    private void dequeued(Delivery delivery) {
        queuedCount = queueSize();
        if (delivery.message().qos() == QoS.AT_MOST_ONCE) {
            queuedQos0--;
        }
        queuedBytes -= delivery.sizeEstimate();
        services.queuedTotal().decrementAndGet();
        services.metrics().queuedDelta(-1);
    }

    private boolean trySend(Delivery delivery) {
        if (!connection.isWritable()) {
            return false;
        }
        if (!delivery.readyToSend()) {
            return false; // queued; resumeWhenStored drains it once durable
        }
        if (delivery.message().qos() == QoS.AT_MOST_ONCE) {
            write(0, delivery, false);
            return true;
        }
        if (inflight.size() >= sendQuota) {
            return false; // v5 Receive Maximum / v3 inflight window [MQTT-4.9.0-2]
        }
        if (delivery.released()) {
            int packetId = delivery.storedPacketId();
            if (inflight.containsKey(packetId)) {
                return false;
            }
            Inflight entry = new Inflight(packetId, delivery);
            entry.awaitingPubComp = true;
            writableInflight().add(entry);
            services.metrics().inflightDelta(1);
            connection.sendPubRel(packetId, ReasonCode.SUCCESS);
            flushNeeded = true;
            return true;
        }
        int packetId;
        if (delivery.isStored()) {
            packetId = delivery.storedPacketId();
            if (inflight.containsKey(packetId)) {
                return false; // 65,535 stored messages since this id was last used, and still unacknowledged
            }
        } else {
            packetId = nextPacketId();
        }
        if (write(packetId, delivery, delivery.redelivery())) {
            writableInflight().add(new Inflight(packetId, delivery));
            services.metrics().inflightDelta(1);
        }
        return true;
    }

    private boolean write(int packetId, Delivery delivery, boolean dup) {
        boolean sent = connection.sendPublish(new OutboundPublish(packetId, delivery.message(), dup,
                delivery.subscriptionIdentifiers(), nowForExpiry(delivery.message())));
        if (sent) {
            sentCounters.record(delivery.message().payload().length);
            flushNeeded = true;
        } else {
            // [MQTT-3.1.2-24] too large for this client: behave as if it had been delivered.
            services.metrics().messageDropped("packet_too_large");
            forget(delivery);
        }
        return sent;
    }

    /** The time a copy's remaining expiry is computed against; read only for a message that expires. */
    private long nowForExpiry(Message message) {
        return message.expires() ? services.clock().getAsLong() : OutboundPublish.NOT_EXPIRING;
    }

    /** A stored delivery is over (acknowledged, expired, dropped): remove it from the log. */
    void forget(Delivery delivery) {
        if (delivery.isStored()) {
            services.log().remove(clientId, delivery.seq());
        }
    }

    private int nextPacketId() {
        do {
            lastPacketId = lastPacketId == 65_535 ? 1 : lastPacketId + 1;
        } while (inflight.containsKey(lastPacketId));
        return lastPacketId;
    }

    void drainQueue() {
        while (connection != null && !retainedBacklog.isEmpty()) {
            Delivery next = retainedBacklog.peekFirst();
            if (next.message().isExpired(services.clock())) {
                retainedBacklog.pollFirst();
                services.metrics().messageDropped("expired");
                forget(next);
                continue;
            }
            if (!trySend(next)) {
                updateCongestion();
                return; // the queue waits behind the retained messages
            }
            retainedBacklog.pollFirst();
        }
        if (retainedBacklog.isEmpty()) {
            // An ArrayDeque keeps its largest array: a subscription to 50,000 retained messages
            // would keep an array of 64K references (256 KB) in the session for good.
            retainedBacklog = NO_DELIVERIES;
        }
        while (connection != null && !queue.isEmpty()) {
            Delivery next = queue.peekFirst();
            if (!next.released() && next.message().isExpired(services.clock())) { // a released one only needs its PUBREL
                queue.pollFirst();
                dequeued(next);
                services.metrics().messageDropped("expired");
                forget(next);
                continue;
            }
            if (!trySend(next)) {
                break;
            }
            queue.pollFirst();
            dequeued(next);
        }
        updateCongestion();
    }

    /** [MQTT-4.4.0-1] on a resumed session, resend unacknowledged PUBLISH with DUP and PUBREL. */
    private void resendInflight() {
        Iterator<Inflight> it = inflight.iterator();
        while (it.hasNext()) {
            Inflight entry = it.next();
            if (entry.awaitingPubComp) {
                connection.sendPubRel(entry.packetId, ReasonCode.SUCCESS);
                flushNeeded = true;
            } else if (!connection.sendPublish(new OutboundPublish(entry.packetId, entry.delivery.message(), true,
                    entry.delivery.subscriptionIdentifiers(), nowForExpiry(entry.delivery.message())))) {
                it.remove();
                services.metrics().inflightDelta(-1);
                forget(entry.delivery);
            } else {
                flushNeeded = true;
            }
        }
    }

    /** Whether something was written and not flushed yet. */
    boolean flushPending() {
        return flushNeeded && connection != null;
    }

    /** Flushes what this drain wrote (once per mailbox drain). */
    void flushIfNeeded() {
        if (flushPending()) {
            flushNeeded = false;
            connection.flush();
        }
    }

    /** PUBACK for an outbound QoS 1 message; unknown ids are ignored. */
    void onPubAck(int packetId) {
        Inflight entry = inflight.get(packetId);
        if (entry != null && entry.delivery.message().qos() == QoS.AT_LEAST_ONCE) {
            completeInflight(packetId);
        }
    }

    /**
     * PUBREC for an outbound QoS 2 message: answer PUBREL, or PUBREL 0x92 if unknown.
     * A PUBREC carrying an error reason ends the exchange [MQTT-4.3.3-?].
     */
    void onPubRec(int packetId, boolean errorReason) {
        Inflight entry = inflight.get(packetId);
        if (entry == null || entry.delivery.message().qos() != QoS.EXACTLY_ONCE) {
            connection.sendPubRel(packetId, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
            return;
        }
        if (errorReason) {
            completeInflight(packetId);
            return;
        }
        entry.awaitingPubComp = true;
        if (!entry.delivery.isStored()) {
            connection.sendPubRel(packetId, ReasonCode.SUCCESS);
            return;
        }
        // Exactly once across a crash: only once "released" is durable may PUBREL go out, so a
        // restart never resends a PUBLISH the client has already completed with PUBCOMP.
        services.log().release(clientId, new StoredDelivery(entry.delivery.seq(),
                entry.delivery.message(), entry.delivery.subscriptionIdentifiers(), true));
        services.log().barrier().whenComplete((ok, error) -> owner.execute(() -> {
            if (connection != null && inflight.get(packetId) == entry) {
                connection.sendPubRel(packetId, ReasonCode.SUCCESS);
                connection.flush();
            }
        }));
    }

    /** PUBCOMP for an outbound QoS 2 message. */
    void onPubComp(int packetId) {
        Inflight entry = inflight.get(packetId);
        if (entry != null && entry.awaitingPubComp) {
            completeInflight(packetId);
        }
    }

    private void completeInflight(int packetId) {
        Inflight done = inflight.remove(packetId);
        if (done != null) {
            forget(done.delivery);
        }
        services.metrics().inflightDelta(-1);
        drainQueue();
    }

    private static final class Inflight extends InflightWindow.Entry {
        final Delivery delivery;
        boolean awaitingPubComp;

        Inflight(int packetId, Delivery delivery) {
            super(packetId);
            this.delivery = delivery;
        }
    }
}
