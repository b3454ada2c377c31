package io.tern.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BrokerMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BrokerMetrics metrics = new BrokerMetrics(registry);

    private Counter counter(String name, String tag, String value) {
        return registry.find(name).tag(tag, value).counter();
    }

    @Test
    void anExpectedProtocolsCountersExistAtZeroAndAreTheOnesItsMessagesMove() {
        metrics.expectPublishesFrom("mqtt");
        Counter messages = counter("tern.messages.received", "protocol", "mqtt");
        Counter bytes = counter("tern.messages.received.payload.bytes", "protocol", "mqtt");
        assertThat(messages).isNotNull();
        assertThat(bytes).isNotNull();
        assertThat(messages.count()).isZero();
        assertThat(bytes.count()).isZero();

        metrics.expectPublishesFrom("mqtt");
        metrics.messageReceived("mqtt", 64);
        assertThat(registry.find("tern.messages.received").counters()).containsExactly(messages);
        assertThat(messages.count()).isEqualTo(1.0);
        assertThat(bytes.count()).isEqualTo(64.0);
    }

    @Test
    void anExpectedTransportsCountersExistAtZeroAndAreTheOnesItsDeliveriesMove() {
        metrics.expectDeliveriesOver("ws");
        Counter messages = counter("tern.messages.sent", "transport", "ws");
        Counter bytes = counter("tern.messages.sent.payload.bytes", "transport", "ws");
        assertThat(messages.count()).isZero();
        assertThat(bytes.count()).isZero();

        metrics.deliveriesOver("ws").record(10);
        metrics.deliveriesOver("tcp").record(5);
        assertThat(messages.count()).isEqualTo(1.0);
        assertThat(bytes.count()).isEqualTo(10.0);
        assertThat(counter("tern.messages.sent", "transport", "tcp").count()).isEqualTo(1.0);
    }

    @Test
    void nothingIsRegisteredForAProtocolOrTransportNobodyExpectsOrUses() {
        metrics.expectPublishesFrom("http");
        assertThat(counter("tern.messages.received", "protocol", "coap")).isNull();
        assertThat(registry.find("tern.messages.sent").counters()).isEmpty();
    }
}
