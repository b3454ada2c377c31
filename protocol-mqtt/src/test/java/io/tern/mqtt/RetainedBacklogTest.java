package io.tern.mqtt;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static io.tern.mqtt.Packets5.connect;
import static io.tern.mqtt.Packets5.subscribe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retained messages for a new subscription are sent as the window frees up, outside the queue's
 * limits; those not sent when the client leaves wait in the queue of its persistent session,
 * under the limits, ahead of anything queued after them.
 */
class RetainedBacklogTest {
    private static final int RETAINED = 30;
    private static final int QUEUE = 10;
    private static final int WINDOW = 2;

    @Test
    void retainedMessagesNotSentWhenTheClientLeavesWaitInItsQueue() {
        BrokerSettings settings = BrokerSettings.defaults().withMaxQueuedMessages(QUEUE).withMaxInflightMessages(WINDOW);
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), settings, Authenticator.allowAll())) {
            TailHarness.Connection publisher = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "retainer", true));
            for (int i = 0; i < RETAINED; i++) {
                publisher.send(MqttMessageBuilders.publish().topicName("r/" + i).qos(MqttQoS.AT_LEAST_ONCE).messageId(i + 1).retained(true)
                        .payload(Unpooled.wrappedBuffer(new byte[]{(byte) i})).build());
            }

            TailHarness.Connection first = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "keeper", false), subscribe(1, "r/#", 1));
            List<MqttMessage> replies = first.received();
            assertThat(replies).extracting(Packets5::type).containsExactly(MqttMessageType.CONNACK,
                    MqttMessageType.SUBACK, MqttMessageType.PUBLISH, MqttMessageType.PUBLISH);
            // Acknowledge two: two more come, out of the backlog, and nothing is dropped.
            List<String> sentFirst = topics(replies.subList(2, 4));
            first.send(pubAck(replies.get(2)), pubAck(replies.get(3)));
            List<MqttMessage> next = first.received();
            List<String> inFlight = topics(next);
            assertThat(inFlight).hasSize(WINDOW).doesNotContainAnyElementsOf(sentFirst);
            assertThat(dropped(harness)).isZero();
            first.server.close(); // two in flight, 26 not sent

            TailHarness.Connection again = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "keeper", false));
            List<MqttMessage> all = new ArrayList<>();
            List<MqttMessage> batch = again.received();
            assertThat(Packets5.type(batch.remove(0))).isEqualTo(MqttMessageType.CONNACK);
            while (!batch.isEmpty()) {
                all.addAll(batch);
                again.send(batch.stream().map(RetainedBacklogTest::pubAck).toArray(MqttMessage[]::new));
                batch = again.received();
            }
            // In flight again (DUP) first, then as many of the 26 unsent as the queue holds: the
            // overflow policy (drop_oldest) made room for the rest, counted.
            List<String> received = topics(all);
            assertThat(received.subList(0, WINDOW)).containsExactlyElementsOf(inFlight);
            assertThat(all.subList(0, WINDOW)).allMatch(m -> m.fixedHeader().isDup());
            assertThat(received.subList(WINDOW, received.size())).hasSize(QUEUE).doesNotHaveDuplicates()
                    .doesNotContainAnyElementsOf(sentFirst).doesNotContainAnyElementsOf(inFlight);
            assertThat(dropped(harness)).isEqualTo(RETAINED - 2 * WINDOW - QUEUE);
        }
    }

    /**
     * A client repeating a SUBSCRIBE that matches many retained messages, without acknowledging
     * any: the first set waits in full, later ones go through the queue (and its limit) once the
     * backlog would pass 100 x max_queued_messages, so the backlog does not multiply the store.
     */
    @Test
    void repeatedSubscriptionsDoNotGrowTheBacklogPastItsBound() {
        int retained = 600; // over half the bound (100 x QUEUE = 1,000)
        BrokerSettings settings = BrokerSettings.defaults().withMaxQueuedMessages(QUEUE).withMaxInflightMessages(WINDOW);
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), settings, Authenticator.allowAll())) {
            harness.connect(MqttVersion.MQTT_3_1_1).send(connect(MqttVersion.MQTT_3_1_1, "retainer", true))
                    .send(IntStream.range(0, retained).mapToObj(i -> MqttMessageBuilders.publish().topicName("r/" + i)
                            .qos(MqttQoS.AT_LEAST_ONCE).messageId(i + 1).retained(true)
                            .payload(Unpooled.wrappedBuffer(new byte[]{1})).build()).toArray(MqttMessage[]::new));
            TailHarness.Connection subscriber = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(connect(MqttVersion.MQTT_3_1_1, "greedy", true), subscribe(1, "r/#", 1));
            assertThat(dropped(harness)).isZero(); // the first set waits whole
            subscriber.send(subscribe(2, "r/#", 1));
            assertThat(dropped(harness)).isEqualTo(retained - QUEUE); // the second fills the queue
            subscriber.send(subscribe(3, "r/#", 1));
            assertThat(dropped(harness)).isEqualTo(2 * retained - QUEUE);
            assertThat(subscriber.received()).filteredOn(m -> Packets5.type(m) == MqttMessageType.PUBLISH)
                    .hasSize(WINDOW);
        }
    }

    private static List<String> topics(List<MqttMessage> messages) {
        return messages.stream().map(m -> {
            assertThat(Packets5.type(m)).isEqualTo(MqttMessageType.PUBLISH);
            assertThat(m.fixedHeader().isRetain()).isTrue();
            return ((MqttPublishMessage) m).variableHeader().topicName();
        }).toList();
    }

    private static MqttMessage pubAck(MqttMessage publish) {
        int packetId = ((MqttPublishMessage) publish).variableHeader().packetId();
        return new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE, false, 2),
                MqttMessageIdVariableHeader.from(packetId));
    }

    private static double dropped(TailHarness harness) {
        return harness.broker.metrics().registry().counter("tern.messages.dropped", "reason", "queue_full").count();
    }
}
