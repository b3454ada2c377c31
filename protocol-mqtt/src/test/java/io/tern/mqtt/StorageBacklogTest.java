package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.tern.mqtt.Packets5.publish;
import static io.tern.mqtt.Packets5.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A v3 client has no Receive Maximum: publishing QoS 1 to a persistent session faster than the
 * store commits, it would have the broker hold its messages and acknowledgements without bound.
 * Past {@code receive_maximum} acknowledgements waiting for the store, the broker stops reading
 * from it, and goes on once the store has caught up, losing and reordering nothing.
 */
class StorageBacklogTest {
    private static final int RECEIVE_MAXIMUM = 4;

    private final DurableLogs.HeldCommits store = new DurableLogs.HeldCommits();
    private final List<CompletableFuture<Void>> commits = store.commits;

    @Test
    void aPublisherAheadOfTheStoreIsNotReadFromUntilTheStoreCatchesUp() {
        MqttTailSettings settings = new MqttTailSettings(1 << 20, 10_000, RECEIVE_MAXIMUM, 0, 0, 65_535, "");
        try (TailHarness harness = new TailHarness(settings, BrokerSettings.defaults(), Authenticator.allowAll(),
                store.log)) {
            TailHarness.Connection subscriber = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(Packets5.connect(MqttVersion.MQTT_3_1_1, "keeper", false), subscribe(1, "kept/#", 1));
            assertThat(subscriber.received()).extracting(Packets5::type)
                    .containsExactly(MqttMessageType.CONNACK, MqttMessageType.SUBACK);
            TailHarness.Connection publisher = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(Packets5.connect(MqttVersion.MQTT_3_1_1, "fast", true));
            assertThat(publisher.received()).extracting(Packets5::type).containsExactly(MqttMessageType.CONNACK);

            store.completeAll(); // whatever connecting waited for
            commits.clear(); // from here, one per QoS 1 message
            int sent = 3 * RECEIVE_MAXIMUM;
            publisher.send(IntStream.rangeClosed(1, sent)
                    .mapToObj(id -> publish("kept/t", 1, id, "m" + id, MqttProperties.NO_PROPERTIES))
                    .toArray(MqttMessage[]::new));

            // One over the limit routed and waiting for the store; the rest of the read held back.
            assertThat(commits).hasSize(RECEIVE_MAXIMUM + 1);
            assertThat(publisher.received()).isEmpty();
            assertThat(publisher.server.config().isAutoRead()).isFalse();
            assertThat(harness.broker.metrics().registry().counter("tern.limits.hits", "limit", "receive_maximum")
                    .count()).isEqualTo(1);

            // Still behind at half: not read from.
            commits.get(0).complete(null);
            commits.get(1).complete(null);
            publisher.server.advanceTimeBy(10, TimeUnit.MILLISECONDS);
            publisher.server.runScheduledPendingTasks();
            assertThat(publisher.server.config().isAutoRead()).isFalse();
            assertThat(commits).hasSize(RECEIVE_MAXIMUM + 1);

            // Every commit lands as it is asked for: the held-back packets go through in order.
            for (int round = 0; round < 10 && !publisher.server.config().isAutoRead(); round++) {
                store.completeAll();
                publisher.settle(); // the acknowledgements go out
                publisher.server.advanceTimeBy(10, TimeUnit.MILLISECONDS);
                publisher.server.runScheduledPendingTasks(); // the throttle sees it, and reading resumes
                publisher.settle();
            }
            assertThat(publisher.server.config().isAutoRead()).isTrue();
            assertThat(commits).hasSize(sent);
            store.completeAll();
            assertThat(publisher.received()).extracting(Packets5::ackedId)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, sent).boxed().toList());
            assertThat(subscriber.received()).hasSize(sent).allMatch(m -> Packets5.type(m) == MqttMessageType.PUBLISH);
        }
    }
}
