package io.tern.core;

import io.tern.core.message.QoS;
import io.tern.core.session.QueueOverflowPolicy;
import io.tern.core.session.Session;

/**
 * The domain's tunables, validated by the configuration loader before they get here.
 *
 * @param maxQueuedMessages          per-session queue bound (offline, or online past the inflight window)
 * @param queueOverflowPolicy        what a full queue drops
 * @param queueQos0WhileOffline      whether QoS 0 messages are queued for offline persistent sessions
 * @param maxInflightMessages        outbound QoS 1/2 window for MQTT 3 clients; a v5 client's window is its
 *                                   own Receive Maximum, 65,535 when it sends none (spec 3.1.2.11.3, [MQTT-4.9.0-2])
 * @param maxSessionExpirySeconds    cap on a v5 client's Session Expiry Interval
 * @param persistentSessionExpirySeconds expiry of MQTT 3 sessions with clean session 0
 * @param maxQos                     highest QoS the server grants
 * @param retainAvailable            whether retained messages are supported
 * @param offlineExecutorThreads     threads that own sessions while they are offline
 * @param limits                     per-session limits on subscriptions and topics
 * @param maxQueuedBytes             per-session bound on queued payload and topic bytes (0: none)
 * @param maxQueuedMessagesTotal     bound on queued messages over all sessions (0: none)
 */
public record BrokerSettings(
        int maxQueuedMessages,
        QueueOverflowPolicy queueOverflowPolicy,
        boolean queueQos0WhileOffline,
        int maxInflightMessages,
        long maxSessionExpirySeconds,
        long persistentSessionExpirySeconds,
        QoS maxQos,
        boolean retainAvailable,
        int offlineExecutorThreads,
        TopicLimits limits,
        long maxQueuedBytes,
        long maxQueuedMessagesTotal) {

    public static final long DEFAULT_MAX_QUEUED_BYTES = 64L * 1024 * 1024;
    public static final long DEFAULT_MAX_QUEUED_TOTAL = 1_000_000;

    public BrokerSettings(int maxQueuedMessages, QueueOverflowPolicy queueOverflowPolicy, boolean queueQos0WhileOffline,
                          int maxInflightMessages, long maxSessionExpirySeconds, long persistentSessionExpirySeconds,
                          QoS maxQos, boolean retainAvailable, int offlineExecutorThreads, TopicLimits limits) {
        this(maxQueuedMessages, queueOverflowPolicy, queueQos0WhileOffline, maxInflightMessages, maxSessionExpirySeconds,
                persistentSessionExpirySeconds, maxQos, retainAvailable, offlineExecutorThreads, limits,
                DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_TOTAL);
    }

    /**
     * @param maxSubscriptionsPerSession subscriptions one session may hold; more get SUBACK 0x97 (v3: 0x80)
     * @param maxTopicLength             bytes of UTF-8 in a topic name or filter
     * @param maxTopicLevels             levels ('/'-separated parts) in a topic name or filter
     */
    public record TopicLimits(int maxSubscriptionsPerSession, int maxTopicLength, int maxTopicLevels) {
        public static TopicLimits defaults() {
            return new TopicLimits(10_000, 65_535, 128);
        }
    }

    public BrokerSettings(int maxQueuedMessages, QueueOverflowPolicy queueOverflowPolicy, boolean queueQos0WhileOffline,
                          int maxInflightMessages, long maxSessionExpirySeconds, long persistentSessionExpirySeconds,
                          QoS maxQos, boolean retainAvailable, int offlineExecutorThreads) {
        this(maxQueuedMessages, queueOverflowPolicy, queueQos0WhileOffline, maxInflightMessages, maxSessionExpirySeconds,
                persistentSessionExpirySeconds, maxQos, retainAvailable, offlineExecutorThreads, TopicLimits.defaults());
    }

    public static BrokerSettings defaults() {
        return new BrokerSettings(1000, QueueOverflowPolicy.DROP_OLDEST, false, 20,
                Session.NEVER_EXPIRES, Session.NEVER_EXPIRES, QoS.EXACTLY_ONCE, true, 2);
    }

    public BrokerSettings withLimits(TopicLimits value) {
        return new BrokerSettings(maxQueuedMessages, queueOverflowPolicy, queueQos0WhileOffline, maxInflightMessages,
                maxSessionExpirySeconds, persistentSessionExpirySeconds, maxQos, retainAvailable, offlineExecutorThreads,
                value, maxQueuedBytes, maxQueuedMessagesTotal);
    }

    public BrokerSettings withMaxQueuedMessages(int value) {
        return new BrokerSettings(value, queueOverflowPolicy, queueQos0WhileOffline, maxInflightMessages,
                maxSessionExpirySeconds, persistentSessionExpirySeconds, maxQos, retainAvailable, offlineExecutorThreads,
                limits, maxQueuedBytes, maxQueuedMessagesTotal);
    }

    public BrokerSettings withMaxInflightMessages(int value) {
        return new BrokerSettings(maxQueuedMessages, queueOverflowPolicy, queueQos0WhileOffline, value,
                maxSessionExpirySeconds, persistentSessionExpirySeconds, maxQos, retainAvailable, offlineExecutorThreads,
                limits, maxQueuedBytes, maxQueuedMessagesTotal);
    }
}
