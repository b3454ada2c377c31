package io.tern.bridge.coap;

import io.tern.core.Broker;
import io.tern.core.ReasonCode;
import io.tern.core.SubscriptionRequest;
import io.tern.core.auth.Credentials;
import io.tern.core.message.QoS;
import io.tern.core.routing.RetainHandling;
import io.tern.core.routing.SubscriptionOptions;
import io.tern.core.session.ConnectOutcome;
import io.tern.core.session.ConnectRequest;
import io.tern.core.session.DisconnectKind;
import io.tern.core.session.OutboundPublish;
import io.tern.core.session.Session;
import io.tern.core.session.SessionConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One topic filter that CoAP clients observe. It is a subscriber like any MQTT client: a broker
 * session (expiry 0) whose "connection" turns each delivered message into a CoAP notification,
 * so routing, wildcards and the '$' rule are the broker's, not re-implemented here. Observers
 * get QoS 0: CoAP's confirmable notifications are their reliability.
 *
 * <p>Threading: {@code session}, {@code generation} and {@code closed} are touched only on
 * {@link #executor()}, which is the session's owner.
 */
final class ObservedFilter implements SessionConnection {
    private static final Logger LOG = LoggerFactory.getLogger(ObservedFilter.class);

    private final String filter;
    private final Broker broker;
    private final Executor executor;
    private final Consumer<Observation> notifyObservers;
    private volatile byte[] latest = new byte[0];
    private Session session;
    private long generation;
    private boolean closed;

    private final String identity;

    ObservedFilter(Observation observation, Broker broker, Executor executor, Consumer<Observation> notifyObservers) {
        this.filter = observation.filter();
        this.identity = observation.identity();
        this.broker = broker;
        this.executor = executor;
        this.notifyObservers = notifyObservers;
    }

    void open() {
        String clientId = "coap-observe-" + UUID.randomUUID();
        broker.connect(new ConnectRequest(clientId, true, 0, null,
                new Credentials(clientId, identity, null, "coap", "coap", identity), 65_535, this));
    }

    /** The last observer left: end the session (and its subscription). */
    void close() {
        executor.execute(() -> {
            closed = true;
            if (session != null) {
                session.connectionClosed(generation, DisconnectKind.NORMAL, null);
            }
        });
    }

    byte[] latest() {
        return latest;
    }

    @Override
    public String transport() {
        return CoapBridge.PROTOCOL;
    }

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public void onConnectOutcome(ConnectOutcome outcome) {
        if (outcome instanceof ConnectOutcome.Rejected rejected) {
            LOG.warn("coap_observe_refused filter={} reason={}", filter, rejected.reasonCode().label());
            return;
        }
        ConnectOutcome.Accepted accepted = (ConnectOutcome.Accepted) outcome;
        session = accepted.session();
        generation = accepted.generation();
        if (closed) {
            session.connectionClosed(generation, DisconnectKind.NORMAL, null);
            return;
        }
        List<ReasonCode> codes = broker.subscribe(session, List.of(new SubscriptionRequest(filter,
                new SubscriptionOptions(QoS.AT_MOST_ONCE, false, false, RetainHandling.DO_NOT_SEND), 0)));
        if (codes.get(0).isError()) {
            LOG.warn("coap_observe_subscribe_failed filter={} reason={}", filter, codes.get(0).label());
        }
    }

    @Override
    public boolean sendPublish(OutboundPublish publish) {
        latest = publish.message().payload();
        notifyObservers.accept(new Observation(identity, filter));
        return true;
    }

    @Override
    public void sendPubRel(int packetId, ReasonCode reasonCode) {
        // Observers subscribe at QoS 0: there is no QoS 2 flow to continue.
    }

    @Override
    public boolean isWritable() {
        return true;
    }

    @Override
    public void flush() {
        // Californium sends each notification itself.
    }

    @Override
    public void close(ReasonCode reasonCode) {
        // Server shutdown or takeover: the CoAP server is stopped separately.
        closed = true;
    }
}
