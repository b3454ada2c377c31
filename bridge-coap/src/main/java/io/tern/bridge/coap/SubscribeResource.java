package io.tern.bridge.coap;

import io.tern.core.Broker;
import io.tern.core.auth.ClientPermissions;
import io.tern.core.routing.SharedFilter;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.Topics;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.observe.ObserveRelation;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.californium.core.server.resources.ResourceObserverAdapter;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * {@code GET /mqtt/subscribe/{filter...}}. With Observe: the client is notified of every message
 * matching the filter. Without: the retained message of that topic, or 4.04.
 */
final class SubscribeResource extends CoapResource {
    private static final int PATH_SEGMENTS = 2; // mqtt, subscribe

    private final Broker broker;
    private final Executor observerExecutor;
    private final int maxObservers;
    private final Map<Observation, ObservedFilter> observed = new HashMap<>();
    private final Map<Observation, Integer> relationsPerFilter = new HashMap<>();
    private final boolean allowAnonymous;
    private int relations;

    SubscribeResource(Broker broker, Executor observerExecutor, int maxObservers, boolean allowAnonymous) {
        super("subscribe");
        this.broker = broker;
        this.allowAnonymous = allowAnonymous;
        this.observerExecutor = observerExecutor;
        this.maxObservers = maxObservers;
        setObservable(true);
        // Notifications are non-confirmable, with a confirmable one at the configured interval
        // (NOTIFICATION_CHECK_INTERVAL_*), which finds observers that went away.
        setObserveType(CoAP.Type.NON);
        getAttributes().setObservable();
        addObserver(new ResourceObserverAdapter() {
            @Override
            public void addedObserveRelation(ObserveRelation relation) {
                relationAdded(observationOf(relation));
            }

            @Override
            public void removedObserveRelation(ObserveRelation relation) {
                relationRemoved(observationOf(relation));
            }
        });
    }

    @Override
    public Resource getChild(String name) {
        return this;
    }

    private static Observation observationOf(ObserveRelation relation) {
        var request = relation.getExchange().getRequest();
        return new Observation(CoapIdentity.of(request),
                CoapTopics.topicOf(request.getOptions().getUriPath(), PATH_SEGMENTS));
    }

    @Override
    public void handleGET(CoapExchange exchange) {
        String filter = CoapTopics.topicOf(exchange.getRequestOptions().getUriPath(), PATH_SEGMENTS);
        String identity = CoapIdentity.of(exchange.advanced().getRequest());
        if (identity == null && !allowAnonymous) {
            exchange.respond(ResponseCode.UNAUTHORIZED, "anonymous clients are not allowed; use DTLS with a pre-shared key",
                    MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        ClientPermissions permissions = broker.permissionsFor(null, identity);
        if (!exchange.getRequestOptions().hasObserve()) {
            retained(exchange, filter, permissions);
            return;
        }
        if (Topics.checkTopicFilter(filter) instanceof TopicCheck.Invalid invalid) {
            exchange.respond(ResponseCode.BAD_REQUEST, "filter: " + invalid.problem(), MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        if (SharedFilter.parse(filter) != null) {
            exchange.respond(ResponseCode.BAD_REQUEST, "filter: shared subscriptions cannot be observed",
                    MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        ObserveRelation relation = exchange.advanced().getRelation();
        if (relation != null && relation.isEstablished()) {
            // A notification: the latest message delivered for this filter.
            exchange.respond(ResponseCode.CONTENT, latest(new Observation(identity, filter)), MediaTypeRegistry.UNDEFINED);
            return;
        }
        if (!permissions.canSubscribe(filter)) {
            exchange.respond(ResponseCode.FORBIDDEN, "not authorized to subscribe to this filter",
                    MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        if (relationCount() >= maxObservers) {
            exchange.respond(ResponseCode.SERVICE_UNAVAILABLE, "too many observers", MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        // Registration: answer with the topic's retained message if it has one.
        Optional<byte[]> current = Topics.hasWildcard(filter) || !permissions.canReceive(filter) ? Optional.empty()
                : broker.retainedMessage(filter).map(m -> m.payload());
        exchange.respond(ResponseCode.CONTENT, current.orElse(new byte[0]), MediaTypeRegistry.UNDEFINED);
    }

    private void retained(CoapExchange exchange, String topic, ClientPermissions permissions) {
        if (Topics.checkTopicName(topic) instanceof TopicCheck.Invalid invalid) {
            exchange.respond(ResponseCode.BAD_REQUEST, "topic: " + invalid.problem()
                    + " (a GET without Observe reads one topic's retained message)", MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        if (!permissions.canReceive(topic)) {
            exchange.respond(ResponseCode.FORBIDDEN, "not authorized to read this topic", MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        broker.retainedMessage(topic).ifPresentOrElse(
                message -> exchange.respond(ResponseCode.CONTENT, message.payload(), MediaTypeRegistry.UNDEFINED),
                () -> exchange.respond(ResponseCode.NOT_FOUND, "no retained message", MediaTypeRegistry.TEXT_PLAIN));
    }

    private synchronized byte[] latest(Observation observation) {
        ObservedFilter entry = observed.get(observation);
        return entry == null ? new byte[0] : entry.latest();
    }

    synchronized int relationCount() {
        return relations;
    }

    private synchronized void relationAdded(Observation observation) {
        relations++;
        relationsPerFilter.merge(observation, 1, Integer::sum);
        if (!observed.containsKey(observation)) {
            ObservedFilter entry = new ObservedFilter(observation, broker, observerExecutor, this::notifyObservers);
            observed.put(observation, entry);
            entry.open();
        }
    }

    private synchronized void relationRemoved(Observation observation) {
        relations--;
        int left = relationsPerFilter.merge(observation, -1, Integer::sum);
        if (left <= 0) {
            relationsPerFilter.remove(observation);
            ObservedFilter entry = observed.remove(observation);
            if (entry != null) {
                entry.close();
            }
        }
    }

    /** Called from the observed filter's session: Californium re-runs handleGET per relation. */
    private void notifyObservers(Observation observation) {
        changed(relation -> observation.equals(observationOf(relation)));
    }

    synchronized void closeAll() {
        observed.values().forEach(ObservedFilter::close);
        observed.clear();
        relationsPerFilter.clear();
        relations = 0;
    }
}
