package io.tern.core.session;

import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authorizer;
import io.tern.core.message.Message;
import io.tern.core.metrics.BrokerMetrics;
import io.tern.core.routing.TopicTree;
import io.tern.core.storage.SessionStore;

import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * What a session needs from the broker around it, gathered so the session does not reach
 * into the broker.
 *
 * @param clock      epoch millis
 * @param timers     schedules expiry and delayed wills; its tasks only hand work to sessions
 * @param publishWill publishes a will as the session's client
 * @param authorizer  decides what the session's client may subscribe to and receive
 * @param queuedTotal messages queued over all sessions (for the broker-wide limit)
 */
record SessionServices(
        BrokerSettings settings,
        BrokerMetrics metrics,
        TopicTree<Session> tree,
        SessionStore store,
        io.tern.core.storage.MessageLog log,
        LongSupplier clock,
        ScheduledExecutorService timers,
        OfflineExecutors offlineExecutors,
        WillPublisher publishWill,
        SessionRegistry registry,
        Authorizer authorizer,
        java.util.concurrent.atomic.AtomicLong queuedTotal) {

    @FunctionalInterface
    interface WillPublisher {
        void publish(String clientId, String username, Message will);
    }
}
