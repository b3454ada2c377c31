package io.tern.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The broker's meters, registered once. Names follow Micrometer's dotted convention; the
 * Prometheus registry renders them as {@code tern_messages_received_total} and so on.
 */
public final class BrokerMetrics {

    private final MeterRegistry registry;
    private final Map<String, Counter> received = new ConcurrentHashMap<>();
    private final Map<String, Counter> receivedBytes = new ConcurrentHashMap<>();
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
    private final Map<String, Counter> connectRejected = new ConcurrentHashMap<>();
    private final Map<String, Counter> protocolErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> sent = new ConcurrentHashMap<>();
    private final Map<String, Counter> sentBytes = new ConcurrentHashMap<>();
    private final Counter connectionsTotal;
    private final Counter throttled;
    private final AtomicLong connectionsCurrent = new AtomicLong();
    private final AtomicLong queuedMessages = new AtomicLong();
    private final AtomicLong inflightMessages = new AtomicLong();

    public BrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.connectionsTotal = Counter.builder("tern.connections.accepted")
                .description("Connections accepted (CONNACK 0x00)").register(registry);
        this.throttled = Counter.builder("tern.publishers.throttled")
                .description("Pauses of QoS 1/2 publishers for subscribers that are not keeping up").register(registry);
        Gauge.builder("tern.connections.current", connectionsCurrent, AtomicLong::get)
                .description("Connected clients").register(registry);
        Gauge.builder("tern.messages.queued", queuedMessages, AtomicLong::get)
                .description("Messages queued in sessions").register(registry);
        Gauge.builder("tern.messages.inflight", inflightMessages, AtomicLong::get)
                .description("Outbound QoS 1/2 messages awaiting acknowledgement").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Registers a gauge whose value is read on scrape. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /**
     * Registers {@code protocol}'s received counters at zero, for whatever accepts its publishes.
     * Prometheus then sees the series before the first message, and that first message does not pay
     * for the registration: a few milliseconds of cold exposition code on an event loop.
     */
    public void expectPublishesFrom(String protocol) {
        receivedMessages(protocol);
        receivedPayloadBytes(protocol);
    }

    /** Registers {@code transport}'s sent counters at zero, for a listener that delivers over it (as above). */
    public void expectDeliveriesOver(String transport) {
        deliveriesOver(transport);
    }

    public void messageReceived(String protocol, int payloadBytes) {
        receivedMessages(protocol).increment();
        receivedPayloadBytes(protocol).increment(payloadBytes);
    }

    /**
     * {@code transport}'s sent counters, for a session to keep while a connection is attached:
     * they are counted once per delivery, to every subscriber, and finding them each time took
     * two map lookups per copy.
     */
    public SentCounters deliveriesOver(String transport) {
        return new SentCounters(sentMessages(transport), sentPayloadBytes(transport));
    }

    /** The PUBLISH packets and payload bytes sent over one transport. */
    public record SentCounters(Counter messages, Counter payloadBytes) {
        public void record(int bytes) {
            messages.increment();
            payloadBytes.increment(bytes);
        }
    }

    private Counter receivedMessages(String protocol) {
        return tagged(received, "tern.messages.received", "Application messages accepted for routing", "protocol",
                protocol);
    }

    private Counter receivedPayloadBytes(String protocol) {
        return tagged(receivedBytes, "tern.messages.received.payload.bytes", "Payload bytes accepted", "protocol",
                protocol);
    }

    private Counter sentMessages(String transport) {
        return tagged(sent, "tern.messages.sent", "PUBLISH packets sent to clients", "transport", transport);
    }

    private Counter sentPayloadBytes(String transport) {
        return tagged(sentBytes, "tern.messages.sent.payload.bytes", "Payload bytes sent to clients", "transport",
                transport);
    }

    /** A message not delivered to one session; {@code reason} is a stable snake_case label. */
    public void messageDropped(String reason) {
        tagged(dropped, "tern.messages.dropped", "Messages dropped per session, by reason", "reason", reason)
                .increment();
    }

    public void connectRejected(String reason) {
        tagged(connectRejected, "tern.connections.rejected", "CONNECTs refused, by reason", "reason", reason)
                .increment();
    }

    public void protocolError(String reason) {
        tagged(protocolErrors, "tern.protocol.errors",
                "Connections closed for protocol errors or malformed packets, by reason", "reason", reason).increment();
    }

    /** A configured limit refused or slowed a client; {@code limit} names it (e.g. max_subscriptions_per_session). */
    public void limitHit(String limit) {
        tagged(limitHits, "tern.limits.hits", "Times a configured limit refused, closed or slowed a client, by limit",
                "limit", limit).increment();
    }

    /** A publisher paused because a subscriber of its QoS 1/2 messages is not keeping up. */
    public void publisherThrottled() {
        throttled.increment();
    }

    /**
     * The counter of {@code name} for one value of its single tag, registered on first use. A plain
     * {@code get} first: this runs for every message, and {@code computeIfAbsent} is large and shared
     * with every other caller in the process, so its compiled code is thrown away and rebuilt (a few
     * ms of one core) whenever any caller brings a new mapping function.
     */
    private Counter tagged(Map<String, Counter> byValue, String name, String description, String tag, String value) {
        Counter counter = byValue.get(value);
        if (counter != null) {
            return counter;
        }
        return byValue.computeIfAbsent(value, v -> Counter.builder(name).description(description).tag(tag, v)
                .register(registry));
    }

    public void clientConnected() {
        connectionsTotal.increment();
        connectionsCurrent.incrementAndGet();
    }

    public void clientDisconnected() {
        connectionsCurrent.decrementAndGet();
    }

    public void queuedDelta(long delta) {
        queuedMessages.addAndGet(delta);
    }

    public void inflightDelta(long delta) {
        inflightMessages.addAndGet(delta);
    }
}
