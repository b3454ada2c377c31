package io.tern.core.session;

import io.tern.core.Backpressure;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.routing.TopicTree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes one message: matches the tree, merges overlapping subscriptions of one session into
 * one delivery at the highest granted QoS with all their Subscription Identifiers
 * [MQTT-3.3.4-2, 3.3.4-3], and hands each delivery to its session's owner.
 */
public final class Router {
    private final TopicTree<Session> tree;
    /** Per broker, not static: tests run several brokers in one JVM. */
    private final InlineFlushes inlineFlushes = new InlineFlushes();

    public Router(TopicTree<Session> tree) {
        this.tree = tree;
    }

    /**
     * @param deliveries   sessions the message was handed to
     * @param backpressure the sessions among them, receiving QoS 1/2, that are not keeping up
     *                     (see {@link Session#isCongested()})
     */
    public record Routed(int deliveries, Backpressure backpressure, int stored) {
    }

    public Routed route(Message message, String publisherClientId) {
        InlineFlushes.Batch batch = inlineFlushes.publishing();
        Collector collector = new Collector(publisherClientId);
        tree.match(message.topic(), collector);
        int deliveries = collector.dispatch(message, batch);
        List<Session> congested = collector.congested;
        Backpressure backpressure = congested == null ? Backpressure.NONE
                : () -> congested.stream().noneMatch(Session::isCongested);
        return new Routed(deliveries, backpressure, collector.stored);
    }

    private static final class Collector implements TopicTree.MatchVisitor<Session> {
        private final String publisherClientId;
        /**
         * The first session matched, and the rest by session once a second one matches: most
         * messages reach one session, and merging needs a map only when there are several.
         */
        private Target first;
        private Map<Session, Target> more;
        private List<Target> sharedTargets;
        private List<Session> congested;
        private int stored;

        Collector(String publisherClientId) {
            this.publisherClientId = publisherClientId;
        }

        @Override
        public void visit(TopicTree.Entry<Session> entry) {
            var subscription = entry.subscription();
            var options = subscription.options();
            // [MQTT-3.8.3-3] No Local: not back to the connection that published it.
            if (options.noLocal() && entry.clientId().equals(publisherClientId)) {
                return;
            }
            Target target;
            if (subscription.isShared()) {
                // Each shared subscription gets its own copy [MQTT-4.8.2-?].
                target = new Target(entry.subscriber());
                if (sharedTargets == null) {
                    sharedTargets = new ArrayList<>(2);
                }
                sharedTargets.add(target);
            } else {
                target = target(entry.subscriber());
            }
            target.add(options.maxQos(), options.retainAsPublished(), subscription.subscriptionIdentifier());
        }

        private Target target(Session session) {
            if (first == null) {
                first = new Target(session);
                return first;
            }
            if (first.session == session) {
                return first;
            }
            if (more == null) {
                more = new HashMap<>(8);
            }
            return more.computeIfAbsent(session, Target::new);
        }

        int dispatch(Message message, InlineFlushes.Batch batch) {
            int deliveries = 0;
            if (first != null) {
                deliver(first, message, batch);
                deliveries++;
            }
            if (more != null) {
                for (Target target : more.values()) {
                    deliver(target, message, batch);
                }
                deliveries += more.size();
            }
            if (sharedTargets != null) {
                for (Target target : sharedTargets) {
                    deliver(target, message, batch);
                }
                deliveries += sharedTargets.size();
            }
            return deliveries;
        }

        private void deliver(Target target, Message message, InlineFlushes.Batch batch) {
            boolean congestedTarget = target.deliver(message, batch);
            if (target.stored) {
                stored++;
            }
            if (congestedTarget) {
                if (congested == null) {
                    congested = new ArrayList<>(2);
                }
                congested.add(target.session);
            }
        }
    }

    private static final class Target {
        private final Session session;
        private QoS maxQos = QoS.AT_MOST_ONCE;
        private boolean retainAsPublished;
        private List<Integer> subscriptionIds = List.of();
        private boolean stored;

        Target(Session session) {
            this.session = session;
        }

        void add(QoS qos, boolean rap, int subscriptionId) {
            maxQos = QoS.max(maxQos, qos);
            retainAsPublished |= rap;
            if (subscriptionId > 0) {
                if (subscriptionIds.isEmpty()) {
                    subscriptionIds = new ArrayList<>(2);
                }
                subscriptionIds.add(subscriptionId);
            }
        }

        /** @return whether this QoS 1/2 delivery went to a congested session */
        boolean deliver(Message message, InlineFlushes.Batch batch) {
            // [MQTT-3.3.1-9]/[MQTT-3.3.1-12]: live messages carry retain 0 unless Retain As Published.
            Message outgoing = message.withQos(QoS.min(message.qos(), maxQos))
                    .withRetain(retainAsPublished && message.retain());
            Delivery delivery = session.store(new Delivery(outgoing, subscriptionIds));
            stored = delivery.isStored();
            session.offer(delivery, batch);
            return outgoing.qos() != QoS.AT_MOST_ONCE && session.isCongested();
        }
    }
}
