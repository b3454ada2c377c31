package io.tern.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.auth.ClientPermissions;
import io.tern.core.auth.Credentials;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.metrics.BrokerMetrics;
import io.tern.core.routing.RetainHandling;
import io.tern.core.routing.SharedFilter;
import io.tern.core.routing.Subscription;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.TopicTree;
import io.tern.core.routing.Topics;
import io.tern.core.session.ConnectOutcome;
import io.tern.core.session.ConnectRequest;
import io.tern.core.session.OfflineExecutors;
import io.tern.core.session.RetainedDelivery;
import io.tern.core.session.Router;
import io.tern.core.session.Session;
import io.tern.core.session.SessionRegistry;
import io.tern.core.session.Sessions;
import io.tern.core.storage.MessageLog;
import io.tern.core.storage.RetainedMessageStore;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The one entry point every protocol calls: MQTT adapters, the HTTP and CoAP bridges, embedded
 * users. Validation, authorization, retained handling and metrics happen here, once.
 */
public final class Broker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    private final BrokerSettings settings;
    private final RetainedMessageStore retained;
    private final SessionStore sessionStore;
    private final MessageLog log;
    private final Authenticator authenticator;
    private final Authorizer authorizer;
    private final BrokerMetrics metrics;
    private final LongSupplier clock;
    private final TopicTree<Session> tree = new TopicTree<>(Session::isOnline);
    private final Router router = new Router(tree);
    private final SessionRegistry registry = new SessionRegistry();
    private final OfflineExecutors offlineExecutors;
    private final ScheduledExecutorService timers;

    public Broker(BrokerSettings settings, RetainedMessageStore retained, SessionStore sessionStore,
                  Authenticator authenticator, Authorizer authorizer, MeterRegistry meterRegistry, LongSupplier clock) {
        this(settings, retained, sessionStore, authenticator, authorizer, meterRegistry, clock,
                new OfflineExecutors(settings.offlineExecutorThreads()));
    }

    /** As above, with the executors that own offline sessions supplied (tests use {@link OfflineExecutors#callerRuns()}). */
    public Broker(BrokerSettings settings, RetainedMessageStore retained, SessionStore sessionStore,
                  Authenticator authenticator, Authorizer authorizer, MeterRegistry meterRegistry, LongSupplier clock,
                  OfflineExecutors offlineExecutors) {
        this(settings, retained, sessionStore, MessageLog.NONE, authenticator, authorizer, meterRegistry, clock,
                offlineExecutors);
    }

    /**
     * The full constructor: with a durable {@code log} (and stores of the same storage), QoS 1/2
     * messages for persistent sessions are acknowledged only once stored.
     */
    public Broker(BrokerSettings settings, RetainedMessageStore retained, SessionStore sessionStore, MessageLog log,
                  Authenticator authenticator, Authorizer authorizer, MeterRegistry meterRegistry, LongSupplier clock,
                  OfflineExecutors offlineExecutors) {
        this.log = log;
        this.settings = settings;
        this.retained = retained;
        this.sessionStore = sessionStore;
        this.authenticator = authenticator;
        this.authorizer = authorizer;
        this.metrics = new BrokerMetrics(meterRegistry);
        this.clock = clock;
        this.offlineExecutors = offlineExecutors;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tern-timers");
            t.setDaemon(true);
            return t;
        });
        Sessions.bind(registry, settings, metrics, tree, sessionStore, log, clock, timers, offlineExecutors,
                (clientId, username, will) -> publish(will, new Publisher(clientId, username, Publisher.WILL)), authorizer);
        metrics.gauge("tern.sessions", "Sessions, online and offline", registry::size);
        metrics.gauge("tern.subscriptions", "Subscriptions in the topic tree", tree::size);
        metrics.gauge("tern.retained.messages", "Retained messages", retained::size);
        restoreSessions();
    }

    private void restoreSessions() {
        long start = System.nanoTime();
        Collection<SessionRecord> records = sessionStore.loadAll();
        if (records.isEmpty()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(records.size());
        List<Session> sessions = new ArrayList<>(records.size());
        for (SessionRecord record : records) {
            sessions.add(Sessions.restore(registry, record, done::countDown));
        }
        try {
            if (!done.await(5, TimeUnit.MINUTES)) {
                LOG.warn("sessions_restore_slow waiting_for={}", done.getCount());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Only now, with every session back, may a will go out: it must reach them all.
        Sessions.resumeWills(sessions);
        LOG.info("sessions_restored count={} millis={}", records.size(), (System.nanoTime() - start) / 1_000_000);
    }

    public BrokerSettings settings() {
        return settings;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    public long now() {
        return clock.getAsLong();
    }

    /**
     * Authenticates, then attaches the client to its session (creating, resuming or taking it
     * over). The outcome reaches {@code request.connection().onConnectOutcome}.
     */
    public void connect(ConnectRequest request) {
        authenticator.authenticate(request.credentials()).whenComplete((outcome, error) -> {
            if (error != null) {
                LOG.warn("authenticator_failed client_id={} error={}", request.clientId(), error.toString());
                reject(request, ReasonCode.SERVER_UNAVAILABLE, "authentication unavailable");
            } else if (outcome instanceof AuthenticationOutcome.Denied denied) {
                reject(request, denied.reasonCode(), denied.reason());
            } else if (outcome instanceof AuthenticationOutcome.Allowed allowed) {
                if (request.will() != null && !authorizer.permissionsFor(request.clientId(), allowed.username())
                        .canPublish(request.will().message().topic())) {
                    // A will the client could not publish itself is refused up front, not dropped at death.
                    reject(request, ReasonCode.NOT_AUTHORIZED, "not authorized to publish the will's topic");
                    return;
                }
                registry.attach(request, allowed.username());
            }
        });
    }

    /**
     * Checks credentials for a bridge request (HTTP, CoAP) with the same authenticator, failure
     * throttling and metrics as MQTT logins. Completes on the authenticator's thread.
     */
    public CompletionStage<AuthenticationOutcome> authenticate(
            Credentials credentials) {
        return authenticator.authenticate(credentials).handle((outcome, error) -> {
            if (error != null) {
                LOG.warn("authenticator_failed protocol={} error={}", credentials.protocol(), error.toString());
                return new AuthenticationOutcome.Denied(ReasonCode.SERVER_UNAVAILABLE, "authentication unavailable");
            }
            return outcome;
        });
    }

    private void reject(ConnectRequest request, ReasonCode reasonCode, String reason) {
        metrics.connectRejected(reasonCode.label());
        request.connection().onConnectOutcome(new ConnectOutcome.Rejected(reasonCode, reason));
    }

    /**
     * Publishes a message: the single publish path for every protocol.
     * Safe from any thread; never blocks; takes no broker-wide lock.
     */
    public PublishOutcome publish(Message message, Publisher publisher) {
        TopicCheck check = Topics.checkTopicName(message.topic());
        if (check instanceof TopicCheck.Invalid invalid) {
            return new PublishOutcome.Rejected(ReasonCode.TOPIC_NAME_INVALID, invalid.problem());
        }
        String tooBig = publisher.isBroker() ? null : exceedsTopicLimits(message.topic());
        if (tooBig != null) {
            return new PublishOutcome.Rejected(ReasonCode.TOPIC_NAME_INVALID, "topic name has " + tooBig);
        }
        if (message.qos().value() > settings.maxQos().value()) {
            return new PublishOutcome.Rejected(ReasonCode.QOS_NOT_SUPPORTED, "maximum QoS is " + settings.maxQos().value());
        }
        if (message.retain() && !settings.retainAvailable()) {
            return new PublishOutcome.Rejected(ReasonCode.RETAIN_NOT_SUPPORTED, "retained messages are disabled");
        }
        ClientPermissions permissions = publisher.permissions() != null ? publisher.permissions()
                : authorizer.permissionsFor(publisher.clientId(), publisher.username());
        if (!permissions.canPublish(message.topic())) {
            return new PublishOutcome.Rejected(ReasonCode.NOT_AUTHORIZED, "not authorized to publish to this topic");
        }
        metrics.messageReceived(publisher.protocol(), message.payload().length);
        if (message.retain()) {
            // [MQTT-3.3.1-6] an empty retained payload deletes; [MQTT-3.3.1-5] otherwise replace.
            if (message.payload().length == 0) {
                retained.remove(message.topic());
            } else {
                retained.put(message);
            }
        }
        Router.Routed routed = router.route(message, publisher.clientId());
        boolean persisted = routed.stored() > 0 || (message.retain() && log.isDurable());
        return new PublishOutcome.Accepted(routed.deliveries(), routed.backpressure(),
                persisted ? log.barrier() : MessageLog.DONE);
    }

    /**
     * Adds subscriptions for a session; call on the session's owner. Retained messages follow
     * the caller's SUBACK. Returns one reason code per request (granted QoS or error).
     */
    public List<ReasonCode> subscribe(Session session, List<SubscriptionRequest> requests) {
        List<ReasonCode> codes = new ArrayList<>(requests.size());
        for (SubscriptionRequest request : requests) {
            codes.add(subscribeOne(session, request));
        }
        return codes;
    }

    private ReasonCode subscribeOne(Session session, SubscriptionRequest request) {
        if (!Topics.checkTopicFilter(request.topicFilter()).isValid()) {
            return ReasonCode.TOPIC_FILTER_INVALID;
        }
        String tooBig = exceedsTopicLimits(request.topicFilter());
        if (tooBig != null) {
            return ReasonCode.TOPIC_FILTER_INVALID;
        }
        if (session.subscriptionCount() >= settings.limits().maxSubscriptionsPerSession()
                && !session.hasSubscription(request.topicFilter())) {
            metrics.limitHit("max_subscriptions_per_session");
            return ReasonCode.QUOTA_EXCEEDED;
        }
        SharedFilter shared = SharedFilter.parse(request.topicFilter());
        if (!session.permissions().canSubscribe(shared != null ? shared.filter() : request.topicFilter())) {
            return ReasonCode.NOT_AUTHORIZED;
        }
        QoS granted = QoS.min(request.options().maxQos(), settings.maxQos());
        Subscription subscription = Subscription.of(request.topicFilter(), request.options().withMaxQos(granted),
                request.subscriptionIdentifier());
        boolean isNew = session.addSubscription(subscription);
        RetainHandling handling = request.options().retainHandling();
        // [MQTT-3.8.4-?] retained messages are not sent for shared subscriptions.
        boolean sendRetained = !subscription.isShared() && settings.retainAvailable()
                && (handling == RetainHandling.SEND_ON_SUBSCRIBE
                || (handling == RetainHandling.SEND_IF_NEW_SUBSCRIPTION && isNew));
        if (sendRetained) {
            RetainedDelivery delivery = new RetainedDelivery(granted, request.subscriptionIdentifier());
            retained.match(subscription.filter(), clock.getAsLong(), delivery::add);
            delivery.sendTo(session);
        }
        return switch (granted) {
            case AT_MOST_ONCE -> ReasonCode.SUCCESS;
            case AT_LEAST_ONCE -> ReasonCode.GRANTED_QOS_1;
            case EXACTLY_ONCE -> ReasonCode.GRANTED_QOS_2;
        };
    }

    /** What a topic or filter exceeds of the configured length and depth, or null if it fits. */
    private String exceedsTopicLimits(String topic) {
        BrokerSettings.TopicLimits limits = settings.limits();
        if (topic.length() > limits.maxTopicLength() / 3 && Topics.utf8Length(topic) > limits.maxTopicLength()) {
            metrics.limitHit("max_topic_length");
            return "more than " + limits.maxTopicLength() + " bytes";
        }
        if (topic.length() < limits.maxTopicLevels()) {
            return null; // fewer characters than the level limit: cannot have too many levels
        }
        int levels = 1;
        for (int i = 0; i < topic.length(); i++) {
            if (topic.charAt(i) == '/' && ++levels > limits.maxTopicLevels()) {
                metrics.limitHit("max_topic_levels");
                return "more than " + limits.maxTopicLevels() + " levels";
            }
        }
        return null;
    }

    /** Removes subscriptions; call on the session's owner. One reason code per filter. */
    public List<ReasonCode> unsubscribe(Session session, List<String> topicFilters) {
        List<ReasonCode> codes = new ArrayList<>(topicFilters.size());
        for (String filter : topicFilters) {
            codes.add(session.removeSubscription(filter) ? ReasonCode.SUCCESS : ReasonCode.NO_SUBSCRIPTION_EXISTED);
        }
        return codes;
    }

    /** What a client (or a bridge request's user) may do; for bridges that check before they act. */
    public ClientPermissions permissionsFor(String clientId, String username) {
        return authorizer.permissionsFor(clientId, username);
    }

    /** The retained message of {@code topic} (a topic name, no wildcards), if any and not expired. */
    public Optional<Message> retainedMessage(String topic) {
        if (!Topics.checkTopicName(topic).isValid()) {
            return Optional.empty();
        }
        Message[] found = new Message[1];
        retained.match(topic, clock.getAsLong(), message -> found[0] = message);
        return Optional.ofNullable(found[0]);
    }

    public Session session(String clientId) {
        return registry.get(clientId);
    }

    /** Tells every connected client the server is going away (v5 DISCONNECT 0x8B). */
    public void disconnectAll(ReasonCode reasonCode) {
        for (Session session : registry.all()) {
            session.closeConnection(reasonCode);
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        offlineExecutors.close();
    }
}
