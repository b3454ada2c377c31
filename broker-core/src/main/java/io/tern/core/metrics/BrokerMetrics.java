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

    public void messageReceived(String protocol, int payloadBytes) {
        received.computeIfAbsent(protocol, p -> Counter.builder("tern.messages.received")
                .description("Application messages accepted for routing").tag("protocol", p).register(registry))
                .increment();
        receivedBytes.computeIfAbsent(protocol, p -> Counter.builder("tern.messages.received.payload.bytes")
                .description("Payload bytes accepted").tag("protocol", p).register(registry))
                .increment(payloadBytes);
    }

    public void messageSent(String transport, int payloadBytes) {
        sent.computeIfAbsent(transport, t -> Counter.builder("tern.messages.sent")
                .description("PUBLISH packets sent to clients").tag("transport", t).register(registry))
                .increment();
        sentBytes.computeIfAbsent(transport, t -> Counter.builder("tern.messages.sent.payload.bytes")
                .description("Payload bytes sent to clients").tag("transport", t).register(registry))
                .increment(payloadBytes);
    }

    /** A message not delivered to one session; {@code reason} is a stable snake_case label. */
    public void messageDropped(String reason) {
        dropped.computeIfAbsent(reason, r -> Counter.builder("tern.messages.dropped")
                .description("Messages dropped per session, by reason").tag("reason", r).register(registry))
                .increment();
    }

    public void connectRejected(String reason) {
        connectRejected.computeIfAbsent(reason, r -> Counter.builder("tern.connections.rejected")
                .description("CONNECTs refused, by reason").tag("reason", r).register(registry))
                .increment();
    }

    public void protocolError(String reason) {
        protocolErrors.computeIfAbsent(reason, r -> Counter.builder("tern.protocol.errors")
                .description("Connections closed for protocol errors or malformed packets, by reason")
                .tag("reason", r).register(registry))
                .increment();
    }

    /** A publisher paused because a subscriber of its QoS 1/2 messages is not keeping up. */
    public void publisherThrottled() {
        throttled.increment();
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
