package io.tern.core.session;

import io.tern.core.ReasonCode;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.routing.Subscription;
import io.tern.core.storage.SessionRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MQTT session: subscriptions, the outbound inflight window and queue, inbound QoS 2 packet
 * identifiers, the will, and expiry.
 *
 * <p><b>Threading.</b> All state below the {@code owner-thread state} line is touched only by
 * the session's owner: tasks run through {@link #execute} (its mailbox), or direct calls from
 * the attached connection, whose event loop <em>is</em> the owner while it is attached. Other
 * threads hand messages in with {@link #offer}; they never touch the state.
 */
public final class Session {

    /** Session Expiry Interval meaning "never" [MQTT-3.1.2-?, 0xFFFFFFFF]. */
    public static final long NEVER_EXPIRES = 0xFFFF_FFFFL;

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final String clientId;
    private final SessionServices services;
    private final SessionMailbox mailbox;
    private final AtomicInteger pendingOffers = new AtomicInteger();
    private final int maxPendingOffers;
    private final int highWater;
    private final int lowWater;
    private volatile boolean online;
    private volatile boolean congested;
    /** queue.size(), readable by publishers' threads. */
    private volatile int queuedCount;

    // ---- owner-thread state ----
    private SessionConnection connection;
    private String username;
    private long generation;
    private boolean terminated;
    private long expiryIntervalSeconds;
    private long disconnectedAtMillis;
    private WillMessage will;
    private WillMessage pendingWill;
    private ScheduledFuture<?> willTimer;
    private ScheduledFuture<?> expiryTimer;
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    private final ArrayDeque<Delivery> queue = new ArrayDeque<>();
    private int queuedQos0;
    private final LinkedHashMap<Integer, Inflight> inflight = new LinkedHashMap<>();
    private final Set<Integer> inboundQos2 = new HashSet<>();
    private int lastPacketId;
    private int sendQuota;
    private boolean flushNeeded;

    Session(String clientId, SessionServices services) {
        this.clientId = clientId;
        this.services = services;
        this.mailbox = new SessionMailbox(services.offlineExecutors().forClient(clientId),
                services.offlineExecutors().forClient(clientId), this::afterDrain);
        int queued = services.settings().maxQueuedMessages();
        // The mailbox only buffers between a publisher and the owner; the real queue is bounded
        // separately. This bound stops a publisher from outrunning a busy owner without limit.
        this.maxPendingOffers = Math.max(1024, queued * 2);
        // Publishers of QoS 1/2 are slowed down from three quarters full until half empty, so
        // acknowledged messages are not dropped for a slow reader.
        this.highWater = Math.max(1, queued * 3 / 4);
        this.lowWater = queued / 2;
    }

    public String clientId() {
        return clientId;
    }

    /** Whether a connection is attached (read by shared-subscription routing on any thread). */
    public boolean isOnline() {
        return online;
    }

    /**
     * True while this session is connected but not keeping up: its queue is three quarters full
     * (until it is back to half), or its mailbox is that far behind. QoS 1/2 publishers routing to
     * it should slow down. Offline sessions never report congestion: a client that is away must
     * not throttle everyone else; their queues follow the overflow policy instead.
     */
    public boolean isCongested() {
        // Occupancy counts what is still in the mailbox: a publisher on another thread can be a
        // burst ahead of the owner.
        return online && (congested || queuedCount + pendingOffers.get() >= highWater);
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

    /** Runs {@code task} on the session's owner, after everything submitted before it. */
    public void execute(Runnable task) {
        mailbox.execute(task);
    }

    /** Hands a routed message to the session. Any thread; never blocks. */
    void offer(Delivery delivery) {
        if (pendingOffers.incrementAndGet() > maxPendingOffers) {
            pendingOffers.decrementAndGet();
            services.metrics().messageDropped("session_mailbox_full");
            return;
        }
        mailbox.execute(() -> {
            pendingOffers.decrementAndGet();
            deliver(delivery);
        });
    }

    // ------------------------------------------------------------------ connect / disconnect

    /** First half of a connect, on the current owner (the old connection's loop, or offline). */
    void beginAttach(ConnectRequest request, String authenticatedUsername, boolean created) {
        if (terminated) {
            // The session ended between the registry lookup and now: connect to a fresh one.
            services.registry().attach(request, authenticatedUsername);
            return;
        }
        boolean endsOldSession = request.cleanStart();
        if (connection != null) {
            // [MQTT-3.1.4-3] the existing connection is closed with 0x8E (v5) before the new one
            // is accepted. Its will is due now if no delay applies or the session ends.
            SessionConnection old = connection;
            WillMessage oldWill = will;
            if (expiryIntervalSeconds == 0) {
                endsOldSession = true;
            }
            detach();
            old.close(ReasonCode.SESSION_TAKEN_OVER);
            if (oldWill != null && (oldWill.delaySeconds() == 0 || endsOldSession)) {
                publishWill(oldWill);
            }
            LOG.info("session_taken_over client_id={}", clientId);
        }
        cancelExpiry();
        if (willTimer != null) {
            // [MQTT-3.1.3-9] a delayed will is not sent if the client reconnects in time,
            // unless the session it belonged to ends now.
            willTimer.cancel(false);
            willTimer = null;
            if (endsOldSession && pendingWill != null) {
                publishWill(pendingWill);
            }
            pendingWill = null;
        }
        boolean present = !created && !endsOldSession;
        if (endsOldSession) {
            discardState();
        }
        generation++;
        long attachGeneration = generation;
        mailbox.moveTo(request.connection().executor());
        mailbox.execute(() -> completeAttach(request, authenticatedUsername, present, attachGeneration));
    }

    /** Second half of a connect, on the new connection's event loop. */
    private void completeAttach(ConnectRequest request, String authenticatedUsername, boolean present,
                                long attachGeneration) {
        if (attachGeneration != generation || terminated) {
            // A later CONNECT with the same client id got here first.
            request.connection().close(ReasonCode.SESSION_TAKEN_OVER);
            return;
        }
        connection = request.connection();
        online = true;
        username = authenticatedUsername;
        expiryIntervalSeconds = request.sessionExpirySeconds();
        will = request.will();
        sendQuota = Math.max(1, request.receiveMaximum());
        services.metrics().clientConnected();
        connection.onConnectOutcome(new ConnectOutcome.Accepted(this, present, attachGeneration));
        persist();
        resendInflight();
        drainQueue();
        flushNeeded = true;
    }

    /**
     * The attached connection ended. Call on the owner (the connection's own event loop), or
     * through {@link #execute}.
     *
     * @param newExpirySeconds a v5 DISCONNECT's Session Expiry Interval, or null to keep it
     */
    public void connectionClosed(long connectionGeneration, DisconnectKind kind, Long newExpirySeconds) {
        if (connectionGeneration != generation || connection == null) {
            return; // taken over or already closed
        }
        if (newExpirySeconds != null) {
            expiryIntervalSeconds = newExpirySeconds;
        }
        WillMessage lastWill = will;
        detach();
        if (kind != DisconnectKind.NORMAL && lastWill != null) {
            long delay = Math.min(lastWill.delaySeconds(), expiryIntervalSeconds);
            if (delay == 0) {
                publishWill(lastWill);
            } else {
                pendingWill = lastWill;
                long willGeneration = generation;
                willTimer = services.timers().schedule(() -> execute(() -> fireDelayedWill(willGeneration)),
                        delay, TimeUnit.SECONDS);
            }
        }
        if (expiryIntervalSeconds == 0) {
            terminate();
            return;
        }
        persist();
        if (expiryIntervalSeconds != NEVER_EXPIRES) {
            scheduleExpiry(expiryIntervalSeconds * 1000L);
        }
    }

    private void detach() {
        connection = null;
        online = false;
        congested = false;
        will = null;
        disconnectedAtMillis = services.clock().getAsLong();
        services.metrics().clientDisconnected();
        mailbox.moveTo(services.offlineExecutors().forClient(clientId));
    }

    private void scheduleExpiry(long delayMillis) {
        long expiryGeneration = generation;
        expiryTimer = services.timers().schedule(() -> execute(() -> expire(expiryGeneration)),
                Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    }

    private void cancelExpiry() {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
            expiryTimer = null;
        }
    }

    private void expire(long expiryGeneration) {
        if (expiryGeneration == generation && connection == null && !terminated) {
            LOG.info("session_expired client_id={}", clientId);
            terminate();
        }
    }

    private void fireDelayedWill(long willGeneration) {
        if (willGeneration == generation && connection == null && pendingWill != null) {
            WillMessage due = pendingWill;
            pendingWill = null;
            willTimer = null;
            publishWill(due);
        }
    }

    private void publishWill(WillMessage willMessage) {
        services.publishWill().publish(clientId, username, willMessage.toPublish(services.clock().getAsLong()));
    }

    /** The session ends: its subscriptions leave the tree and it leaves the registry. */
    private void terminate() {
        terminated = true;
        cancelExpiry();
        if (willTimer != null) {
            willTimer.cancel(false);
            willTimer = null;
        }
        if (pendingWill != null) {
            // "until the Will Delay Interval has passed or the Session ends, whichever first"
            WillMessage due = pendingWill;
            pendingWill = null;
            publishWill(due);
        }
        discardState();
        services.registry().remove(this);
    }

    /** Server shutdown or administrative close. */
    public void closeConnection(ReasonCode reasonCode) {
        execute(() -> {
            if (connection != null) {
                connection.close(reasonCode);
            }
        });
    }

    private void discardState() {
        for (Subscription subscription : subscriptions.values()) {
            services.tree().unsubscribe(clientId, subscription.topicFilter());
        }
        subscriptions.clear();
        services.metrics().queuedDelta(-queue.size());
        for (int i = queue.size(); i > 0; i--) {
            services.metrics().messageDropped("session_ended");
        }
        queue.clear();
        queuedCount = 0;
        queuedQos0 = 0;
        congested = false;
        services.metrics().inflightDelta(-inflight.size());
        inflight.clear();
        inboundQos2.clear();
        services.store().delete(clientId);
    }

    private void persist() {
        if (expiryIntervalSeconds > 0 && !terminated) {
            services.store().save(new SessionRecord(clientId, expiryIntervalSeconds,
                    connection == null ? disconnectedAtMillis : 0L, List.copyOf(subscriptions.values())));
        }
    }

    /** Restores a stored session (owner thread, before any connect). */
    void restore(SessionRecord record) {
        expiryIntervalSeconds = record.expiryIntervalSeconds();
        disconnectedAtMillis = record.disconnectedAtMillis();
        for (Subscription subscription : record.subscriptions()) {
            subscriptions.put(subscription.topicFilter(), subscription);
            services.tree().subscribe(clientId, this, subscription);
        }
        if (expiryIntervalSeconds != NEVER_EXPIRES) {
            long deadline = disconnectedAtMillis + expiryIntervalSeconds * 1000L;
            scheduleExpiry(deadline - services.clock().getAsLong());
        }
    }

    // ------------------------------------------------------------------ subscriptions (owner)

    /** Adds or replaces a subscription; true if there was none for this filter before. */
    public boolean addSubscription(Subscription subscription) {
        boolean isNew = services.tree().subscribe(clientId, this, subscription);
        subscriptions.put(subscription.topicFilter(), subscription);
        persist();
        return isNew;
    }

    /** Removes a subscription; true if it existed. */
    public boolean removeSubscription(String topicFilter) {
        boolean existed = subscriptions.remove(topicFilter) != null;
        if (existed) {
            services.tree().unsubscribe(clientId, topicFilter);
            persist();
        }
        return existed;
    }

    public int subscriptionCount() {
        return subscriptions.size();
    }

    public String username() {
        return username;
    }

    // ------------------------------------------------------------------ outbound (owner)

    /** Sends the retained messages matched by a new subscription, after the SUBACK. */
    void deliverAll(List<Delivery> deliveries) {
        execute(() -> deliveries.forEach(this::deliver));
    }

    private void deliver(Delivery delivery) {
        if (terminated) {
            services.metrics().messageDropped("session_ended");
            return;
        }
        Message message = delivery.message();
        if (message.isExpired(services.clock().getAsLong())) {
            services.metrics().messageDropped("expired");
            return;
        }
        if (connection == null) {
            if (message.qos() == QoS.AT_MOST_ONCE && !services.settings().queueQos0WhileOffline()) {
                services.metrics().messageDropped("offline_qos0");
                return;
            }
            enqueue(delivery);
            return;
        }
        if (queue.isEmpty() && trySend(delivery)) {
            return;
        }
        enqueue(delivery);
    }

    private void enqueue(Delivery delivery) {
        if (queue.size() >= services.settings().maxQueuedMessages() && !makeRoom(delivery)) {
            services.metrics().messageDropped("queue_full");
            return;
        }
        queue.addLast(delivery);
        queuedCount = queue.size();
        if (delivery.message().qos() == QoS.AT_MOST_ONCE) {
            queuedQos0++;
        }
        services.metrics().queuedDelta(1);
        updateCongestion();
    }

    /**
     * Frees one place in a full queue, or returns false when the arriving message is the one to
     * drop. QoS 0 messages go first whatever the policy: an acknowledged QoS 1/2 message is never
     * evicted to make room for a QoS 0 one. Among QoS 1/2 the policy decides.
     */
    private boolean makeRoom(Delivery arriving) {
        boolean arrivingQos0 = arriving.message().qos() == QoS.AT_MOST_ONCE;
        boolean dropNew = services.settings().queueOverflowPolicy() == QueueOverflowPolicy.DROP_NEW;
        if (arrivingQos0 && dropNew) {
            return false;
        }
        if (queuedQos0 > 0) {
            for (Iterator<Delivery> it = queue.iterator(); it.hasNext(); ) {
                if (it.next().message().qos() == QoS.AT_MOST_ONCE) {
                    it.remove();
                    dequeued(QoS.AT_MOST_ONCE);
                    services.metrics().messageDropped("queue_full");
                    return true;
                }
            }
        }
        if (arrivingQos0 || dropNew) {
            return false;
        }
        Delivery oldest = queue.pollFirst();
        dequeued(oldest.message().qos());
        services.metrics().messageDropped("queue_full");
        return true;
    }

    private void dequeued(QoS qos) {
        queuedCount = queue.size();
        if (qos == QoS.AT_MOST_ONCE) {
            queuedQos0--;
        }
        services.metrics().queuedDelta(-1);
    }

    private boolean trySend(Delivery delivery) {
        if (!connection.isWritable()) {
            return false;
        }
        if (delivery.message().qos() == QoS.AT_MOST_ONCE) {
            write(0, delivery, false);
            return true;
        }
        if (inflight.size() >= sendQuota) {
            return false; // v5 Receive Maximum / v3 inflight window [MQTT-4.9.0-2]
        }
        int packetId = nextPacketId();
        if (write(packetId, delivery, false)) {
            inflight.put(packetId, new Inflight(packetId, delivery));
            services.metrics().inflightDelta(1);
        }
        return true;
    }

    private boolean write(int packetId, Delivery delivery, boolean dup) {
        boolean sent = connection.sendPublish(new OutboundPublish(packetId, delivery.message(), dup,
                delivery.subscriptionIdentifiers(), services.clock().getAsLong()));
        if (sent) {
            services.metrics().messageSent(connection.transport(), delivery.message().payload().length);
            flushNeeded = true;
        } else {
            // [MQTT-3.1.2-24] too large for this client: behave as if it had been delivered.
            services.metrics().messageDropped("packet_too_large");
        }
        return sent;
    }

    private int nextPacketId() {
        do {
            lastPacketId = lastPacketId == 65_535 ? 1 : lastPacketId + 1;
        } while (inflight.containsKey(lastPacketId));
        return lastPacketId;
    }

    private void drainQueue() {
        long now = services.clock().getAsLong();
        while (connection != null && !queue.isEmpty()) {
            Delivery next = queue.peekFirst();
            if (next.message().isExpired(now)) {
                queue.pollFirst();
                dequeued(next.message().qos());
                services.metrics().messageDropped("expired");
                continue;
            }
            if (!trySend(next)) {
                break;
            }
            queue.pollFirst();
            dequeued(next.message().qos());
        }
        updateCongestion();
    }

    /** [MQTT-4.4.0-1] on a resumed session, resend unacknowledged PUBLISH with DUP and PUBREL. */
    private void resendInflight() {
        Iterator<Inflight> it = inflight.values().iterator();
        while (it.hasNext()) {
            Inflight entry = it.next();
            if (entry.awaitingPubComp) {
                connection.sendPubRel(entry.packetId, ReasonCode.SUCCESS);
                flushNeeded = true;
            } else if (!connection.sendPublish(new OutboundPublish(entry.packetId, entry.delivery.message(), true,
                    entry.delivery.subscriptionIdentifiers(), services.clock().getAsLong()))) {
                it.remove();
                services.metrics().inflightDelta(-1);
            } else {
                flushNeeded = true;
            }
        }
    }

    private void afterDrain() {
        if (flushNeeded && connection != null) {
            flushNeeded = false;
            connection.flush();
        }
    }

    /** The client's socket can take more: send what is queued. */
    public void onWritable() {
        if (connection != null) {
            drainQueue();
            afterDrain();
        }
    }

    // ------------------------------------------------------------------ acknowledgements (owner)

    /** PUBACK for an outbound QoS 1 message; unknown ids are ignored. */
    public void onPubAck(int packetId) {
        Inflight entry = inflight.get(packetId);
        if (entry != null && entry.delivery.message().qos() == QoS.AT_LEAST_ONCE) {
            completeInflight(packetId);
        }
    }

    /**
     * PUBREC for an outbound QoS 2 message: answer PUBREL, or PUBREL 0x92 if unknown.
     * A PUBREC carrying an error reason ends the exchange [MQTT-4.3.3-?].
     */
    public void onPubRec(int packetId, boolean errorReason) {
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
        connection.sendPubRel(packetId, ReasonCode.SUCCESS);
    }

    /** PUBCOMP for an outbound QoS 2 message. */
    public void onPubComp(int packetId) {
        Inflight entry = inflight.get(packetId);
        if (entry != null && entry.awaitingPubComp) {
            completeInflight(packetId);
        }
    }

    private void completeInflight(int packetId) {
        inflight.remove(packetId);
        services.metrics().inflightDelta(-1);
        drainQueue();
    }

    /**
     * An inbound QoS 2 PUBLISH: true the first time the packet id is seen (route it), false
     * for a retransmission before PUBREL (do not route it again: exactly once).
     */
    public boolean receiveQos2(int packetId) {
        return inboundQos2.add(packetId);
    }

    /** PUBREL: forgets the packet id; false if it was unknown (PUBCOMP 0x92). */
    public boolean releaseQos2(int packetId) {
        return inboundQos2.remove(packetId);
    }

    public int inboundQos2Pending() {
        return inboundQos2.size();
    }

    /** For tests and diagnostics: copies of the owner state, taken on the owner. */
    List<Integer> inflightIds() {
        return new ArrayList<>(inflight.keySet());
    }

    private static final class Inflight {
        final int packetId;
        final Delivery delivery;
        boolean awaitingPubComp;

        Inflight(int packetId, Delivery delivery) {
            this.packetId = packetId;
            this.delivery = delivery;
        }
    }
}
