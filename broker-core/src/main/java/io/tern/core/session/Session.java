package io.tern.core.session;

import io.tern.core.ReasonCode;
import io.tern.core.auth.ClientPermissions;
import io.tern.core.message.QoS;
import io.tern.core.routing.Subscription;
import io.tern.core.storage.MessageLog;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.StoredDelivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

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
    /** Field updaters, not Atomic objects: a session is kept per client, and they add up. */
    private volatile int pendingOffers;
    private static final AtomicIntegerFieldUpdater<Session> PENDING_OFFERS =
            AtomicIntegerFieldUpdater.newUpdater(Session.class, "pendingOffers");
    private final int maxPendingOffers;
    private volatile boolean online;
    /** What the client may do; replaced when the session is taken by a client with another username. */
    private volatile ClientPermissions permissions;
    /** The session outlives its connection, so its QoS 1/2 deliveries go to the message log. */
    private volatile boolean durable;
    /**
     * Whether the store or the message log may hold anything of this session: only a durable
     * session writes there. Saves a clean session the store's delete at each connect and end,
     * which on RocksDB is a write and two range tombstones. Owner thread.
     */
    private boolean mayBeStored;
    /**
     * Starts from the clock (microsecond scale), so a new session under a client id never reuses
     * the numbers of an older one whose late writes might still reach the log.
     */
    private volatile long nextSeq;
    private static final AtomicLongFieldUpdater<Session> NEXT_SEQ = AtomicLongFieldUpdater.newUpdater(Session.class, "nextSeq");

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
    private long pendingWillDueAtMillis;
    private ScheduledFuture<?> expiryTimer;
    /** Empty until the first subscription: most idle connections never subscribe (48 B each). */
    private Map<String, Subscription> subscriptions = Collections.emptyMap();
    private final Outbox outbox;
    /** In this thread's {@link InlineFlushes.Batch}, to be flushed at the end of the loop's turn. */
    private boolean inFlushBatch;
    /** Inbound QoS 2 packet ids awaiting PUBREL; made on first use, as most sessions never have one. */
    private HashSet<Integer> inboundQos2;

    /** A session that starts offline (restored from storage). */
    Session(String clientId, SessionServices services) {
        this(clientId, services, services.offlineExecutors().forClient(clientId));
    }

    /**
     * @param firstOwner the executor that owns the session first: a new session made for a
     *                   CONNECT starts on that connection's event loop, so attaching it costs no
     *                   hop to an offline thread and back (it has nothing stored to read)
     */
    Session(String clientId, SessionServices services, Executor firstOwner) {
        this.clientId = clientId;
        this.services = services;
        this.mailbox = new SessionMailbox(firstOwner, services.offlineExecutors().forClient(clientId), this::afterDrain);
        int queued = services.settings().maxQueuedMessages();
        // The mailbox only buffers between a publisher and the owner; the real queue is bounded
        // separately. This bound stops a publisher from outrunning a busy owner without limit.
        this.maxPendingOffers = Math.max(1024, queued * 2);
        this.outbox = new Outbox(services, clientId, this::execute);
        this.nextSeq = services.clock().getAsLong() * 1000;
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
        return online && outbox.congested(pendingOffers);
    }

    /** Runs {@code task} on the session's owner, after everything submitted before it. */
    public void execute(Runnable task) {
        mailbox.execute(task);
    }

    /**
     * Writes a QoS 1/2 delivery of a persistent session to the message log (queued, not yet
     * durable: the publisher's acknowledgement waits for the log's barrier). Any thread.
     */
    Delivery store(Delivery delivery) {
        if (!durable || delivery.message().qos() == QoS.AT_MOST_ONCE) {
            return delivery;
        }
        long seq = NEXT_SEQ.getAndIncrement(this);
        services.log().append(clientId, new StoredDelivery(seq, delivery.message(),
                delivery.subscriptionIdentifiers(), false));
        CompletableFuture<Void> stored = delivery.message().qos() == QoS.EXACTLY_ONCE
                ? services.log().barrier().toCompletableFuture() : null;
        return new Delivery(delivery.message(), delivery.subscriptionIdentifiers(), seq, false, false, stored);
    }

    /** Whether this session's state goes to the message log (it outlives its connection). */
    public boolean isDurable() {
        return durable;
    }

    /** Completes once everything this session wrote to the message log so far is durable. */
    public CompletionStage<Void> persisted() {
        return durable ? services.log().barrier() : MessageLog.DONE;
    }

    /**
     * Hands a routed message to the session. Any thread; never blocks.
     *
     * @param batch the calling thread's, for a delivery written inline
     */
    void offer(Delivery delivery, InlineFlushes.Batch batch) {
        // The first message of a loop's turn, on the session's own loop with nothing of it
        // queued (a publisher and its subscriber on one event loop, the common case): written
        // and flushed now (InlineFlushes). Through the mailbox, the subscriber's copy waited for
        // the rest of the read and for the loop's task queue.
        if (batch.mayDeliverInline() && mailbox.tryRunInline(() -> deliverInline(delivery, batch))) {
            return;
        }
        if (PENDING_OFFERS.incrementAndGet(this) > maxPendingOffers) {
            PENDING_OFFERS.decrementAndGet(this);
            services.metrics().messageDropped("session_mailbox_full");
            if (delivery.isStored()) {
                services.log().remove(clientId, delivery.seq());
            }
            return;
        }
        mailbox.execute(() -> {
            PENDING_OFFERS.decrementAndGet(this);
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
        if (outbox.isSpilled() && !endsOldSession) {
            // On the session's offline owner, not an event loop: read its deliveries back.
            outbox.unspill(readLog());
        }
        if (connection != null) {
            // [MQTT-3.1.4-3] the existing connection is closed with 0x8E (v5) before the new one
            // is accepted. Its will is due now if no delay applies or the session ends.
            SessionConnection old = connection;
            WillMessage oldWill = will;
            if (expiryIntervalSeconds == 0) {
                endsOldSession = true;
            }
            detach(false); // the new connection attaches right away: nothing to spill
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
        durable = request.sessionExpirySeconds() > 0;
        mayBeStored |= durable;
        permissions = services.authorizer().permissionsFor(clientId, authenticatedUsername);
        expiryIntervalSeconds = request.sessionExpirySeconds();
        will = request.will();
        services.metrics().clientConnected();
        connection.onConnectOutcome(new ConnectOutcome.Accepted(this, present, attachGeneration));
        persist();
        outbox.attach(connection, request.receiveMaximum());
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
        detach(true);
        if (kind != DisconnectKind.NORMAL && lastWill != null) {
            long delay = Math.min(lastWill.delaySeconds(), expiryIntervalSeconds);
            if (delay == 0) {
                publishWill(lastWill);
            } else {
                pendingWill = lastWill;
                pendingWillDueAtMillis = services.clock().getAsLong() + delay * 1000L;
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

    /** @param spill let a persistent session's stored deliveries leave memory (it stays offline) */
    private void detach(boolean spill) {
        connection = null;
        online = false;
        outbox.detach(spill && durable && services.log().isDurable()); // spilled only where the log keeps them
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
            persist(); // published: not again after a restart
        }
    }

    /**
     * After every stored session is back (so the will reaches them all): starts the delayed
     * will of a session restored with one. A session that was connected when the broker died
     * lost its connection without DISCONNECT: its will is due after its delay, from now.
     */
    void resumeWill() {
        if (pendingWill != null && willTimer == null && !terminated) {
            long willGeneration = generation;
            willTimer = services.timers().schedule(() -> execute(() -> fireDelayedWill(willGeneration)),
                    Math.max(0, pendingWillDueAtMillis - services.clock().getAsLong()), TimeUnit.MILLISECONDS);
        }
    }

    private void publishWill(WillMessage willMessage) {
        services.publishWill().publish(clientId, username, willMessage.toPublish(services.clock().getAsLong()));
    }

    /** The session ends: its subscriptions leave the tree and it leaves the registry. */
    private void terminate() {
        terminated = true;
        durable = false;
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
        if (!subscriptions.isEmpty()) { // a clean connect usually has none: no iterator
            for (Subscription subscription : subscriptions.values()) {
                services.tree().unsubscribe(clientId, subscription.topicFilter());
            }
            subscriptions.clear();
        }
        outbox.clear();
        inboundQos2 = null;
        if (mayBeStored) {
            services.store().delete(clientId);
        }
    }

    private void persist() {
        if (expiryIntervalSeconds > 0 && !terminated) {
            services.store().save(new SessionRecord(clientId, expiryIntervalSeconds,
                    connection == null ? disconnectedAtMillis : 0L, List.copyOf(subscriptions.values()), username,
                    connection != null ? will : pendingWill, connection != null ? 0L : pendingWillDueAtMillis));
        }
    }

    /** Everything the message log holds for this session, once what was written so far is durable. */
    private List<StoredDelivery> readLog() {
        try {
            services.log().barrier().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return services.log().queued(clientId);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.error("storage_read_failed client_id={} error=\"{}\"", clientId, e.toString());
            return List.of();
        }
    }

    /** Restores a stored session (owner thread, before any connect). */
    void restore(SessionRecord record) {
        expiryIntervalSeconds = record.expiryIntervalSeconds();
        // 0 means it was connected when the broker stopped (a crash): its connection ended now.
        disconnectedAtMillis = record.disconnectedAtMillis() == 0 ? services.clock().getAsLong()
                : record.disconnectedAtMillis();
        username = record.username();
        durable = expiryIntervalSeconds > 0;
        mayBeStored = true; // it came from the store
        if (record.will() != null) {
            pendingWill = record.will();
            pendingWillDueAtMillis = record.willDueAtMillis() > 0 ? record.willDueAtMillis()
                    : disconnectedAtMillis + Math.min(record.will().delaySeconds(), expiryIntervalSeconds) * 1000L;
        }
        List<StoredDelivery> queued = services.log().queued(clientId);
        if (!queued.isEmpty()) {
            NEXT_SEQ.accumulateAndGet(this, queued.get(queued.size() - 1).seq() + 1, Math::max);
        }
        if (durable) {
            outbox.restore(queued); // offline: the deliveries stay in the log until a client attaches
        }
        Set<Integer> inbound = services.log().inbound(clientId);
        if (!inbound.isEmpty()) {
            inboundQos2 = new HashSet<>(inbound);
        }
        for (Subscription subscription : record.subscriptions()) {
            writableSubscriptions().put(subscription.topicFilter(), subscription);
            services.tree().subscribe(clientId, this, subscription);
        }
        if (expiryIntervalSeconds != NEVER_EXPIRES) {
            long deadline = disconnectedAtMillis + expiryIntervalSeconds * 1000L;
            scheduleExpiry(deadline - services.clock().getAsLong());
        }
    }

    // ------------------------------------------------------------------ subscriptions (owner)

    private Map<String, Subscription> writableSubscriptions() {
        if (!(subscriptions instanceof HashMap)) {
            subscriptions = new HashMap<>();
        }
        return subscriptions;
    }

    /** Adds or replaces a subscription; true if there was none for this filter before. */
    public boolean addSubscription(Subscription subscription) {
        boolean isNew = services.tree().subscribe(clientId, this, subscription);
        writableSubscriptions().put(subscription.topicFilter(), subscription);
        persist();
        return isNew;
    }

    public int subscriptionCount() {
        return subscriptions.size();
    }

    public boolean hasSubscription(String topicFilter) {
        return subscriptions.containsKey(topicFilter);
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

    public String username() {
        return username;
    }

    /** What this session's client may do with topics (asked on its publishes and subscribes). */
    public ClientPermissions permissions() {
        ClientPermissions current = permissions;
        if (current == null) {
            // Restored from the store, never connected since: rules of its last user.
            current = services.authorizer().permissionsFor(clientId, username);
            permissions = current;
        }
        return current;
    }

    // ------------------------------------------------------------------ outbound (owner)

    /** Sends the retained messages matched by a new subscription, after the SUBACK. */
    void deliverAll(List<Delivery> deliveries) {
        List<Delivery> stored = deliveries.stream().map(this::store).toList();
        execute(() -> outbox.deliverRetained(stored.stream().filter(this::deliverable).toList()));
    }

    private void deliver(Delivery delivery) {
        if (deliverable(delivery)) {
            outbox.deliver(delivery);
        }
    }

    private void deliverInline(Delivery delivery, InlineFlushes.Batch batch) {
        deliver(delivery);
        if (!inFlushBatch && outbox.flushPending()) {
            if (batch.add(this, mailbox.owner())) {
                outbox.flushIfNeeded();
            } else {
                inFlushBatch = true;
            }
        }
    }

    /**
     * Flushes what inline deliveries wrote, if this thread still owns the session and nothing of
     * it is queued. Otherwise a drain is queued (or the session moved, in a drain), and the end
     * of that drain flushes.
     */
    void flushInline() {
        mailbox.tryRunInline(this::afterDrain);
    }

    /** False, counted and forgotten, for a delivery this session must not send. */
    private boolean deliverable(Delivery delivery) {
        if (terminated) {
            services.metrics().messageDropped("session_ended");
            return false;
        }
        if (delivery.message().isExpired(services.clock())) {
            services.metrics().messageDropped("expired");
            outbox.forget(delivery);
            return false;
        }
        if (!permissions().canReceive(delivery.message().topic())) {
            // The subscription reaches topics the ACL does not let this client read.
            services.metrics().messageDropped("not_authorized");
            outbox.forget(delivery);
            return false;
        }
        return true;
    }

    private void afterDrain() {
        inFlushBatch = false;
        outbox.flushIfNeeded();
    }

    /** The client's socket can take more: send what is queued. */
    public void onWritable() {
        outbox.onWritable();
    }

    // ------------------------------------------------------------------ acknowledgements (owner)

    /** PUBACK for an outbound QoS 1 message; unknown ids are ignored. */
    public void onPubAck(int packetId) {
        outbox.onPubAck(packetId);
    }

    /** PUBREC for an outbound QoS 2 message: answer PUBREL, or PUBREL 0x92 if unknown. */
    public void onPubRec(int packetId, boolean errorReason) {
        outbox.onPubRec(packetId, errorReason);
    }

    /** PUBCOMP for an outbound QoS 2 message. */
    public void onPubComp(int packetId) {
        outbox.onPubComp(packetId);
    }

    /**
     * An inbound QoS 2 PUBLISH: true the first time the packet id is seen (route it), false
     * for a retransmission before PUBREL (do not route it again: exactly once).
     */
    public boolean receiveQos2(int packetId) {
        if (inboundQos2 == null) {
            inboundQos2 = new HashSet<>();
        }
        boolean first = inboundQos2.add(packetId);
        if (first && durable) {
            services.log().inboundAdd(clientId, packetId);
        }
        return first;
    }

    /** PUBREL: forgets the packet id; false if it was unknown (PUBCOMP 0x92). */
    public boolean releaseQos2(int packetId) {
        boolean known = inboundQos2 != null && inboundQos2.remove(packetId);
        if (known && durable) {
            services.log().inboundRemove(clientId, packetId);
        }
        return known;
    }

    public int inboundQos2Pending() {
        return inboundQos2 == null ? 0 : inboundQos2.size();
    }
}
