package io.tern.core.session;

import io.tern.core.BrokerSettings;
import io.tern.core.metrics.BrokerMetrics;
import io.tern.core.routing.TopicTree;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.SessionStore;

import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/** Wiring for the session package; keeps {@link SessionServices} package-private. */
public final class Sessions {
    private Sessions() {
    }

    /** Gives the registry (and so every session it creates) the services around it. */
    public static void bind(SessionRegistry registry, BrokerSettings settings, BrokerMetrics metrics,
                            TopicTree<Session> tree, SessionStore store, io.tern.core.storage.MessageLog log,
                            LongSupplier clock,
                            ScheduledExecutorService timers, OfflineExecutors offlineExecutors,
                            WillSink willSink, io.tern.core.auth.Authorizer authorizer) {
        registry.bind(new SessionServices(settings, metrics, tree, store, log, clock, timers, offlineExecutors,
                willSink::publish, registry, authorizer, new java.util.concurrent.atomic.AtomicLong()));
    }

    /** Recreates a stored session, offline, with its subscriptions back in the tree. */
    public static Session restore(SessionRegistry registry, SessionRecord record, Runnable whenRestored) {
        Session session = registry.restore(record.clientId());
        session.execute(() -> {
            try {
                session.restore(record);
            } finally {
                whenRestored.run();
            }
        });
        return session;
    }

    /** Once every session is restored: their wills that were pending (or due) may go out. */
    public static void resumeWills(java.util.Collection<Session> sessions) {
        for (Session session : sessions) {
            session.execute(session::resumeWill);
        }
    }

    /** Publishes wills on behalf of sessions. */
    @FunctionalInterface
    public interface WillSink {
        void publish(String clientId, String username, io.tern.core.message.Message will);
    }
}
