package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every retained message matching a new subscription is sent ([MQTT-3.3.1-9]; 3.1.1:
 * [MQTT-3.3.1-6]), however many match: not only as many as the session's queue holds. And a
 * message published after the subscription comes after them.
 */
class RetainedDeliveryTest extends ClientSupport {
    private static final int RETAINED = 200;

    @Override
    String brokerYaml() {
        // A queue and a window far smaller than the retained set.
        return "sessions: { max_queued_messages: 10 }\nmqtt: { max_inflight_messages: 5 }\n";
    }

    private void retain(int payloadBytes) {
        Mqtt5BlockingClient publisher = v5("retainer");
        publisher.connect();
        for (int i = 0; i < RETAINED; i++) {
            byte[] payload = new byte[payloadBytes];
            publisher.publishWith().topic("r/" + i).payload(payload).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        }
    }

    private void publishLive() {
        Mqtt5BlockingClient live = v5("live");
        live.connect();
        live.publishWith().topic("r/" + (RETAINED - 1)).payload("new".getBytes(StandardCharsets.UTF_8))
                .qos(MqttQos.AT_LEAST_ONCE).send();
    }

    @Test
    void aQos1SubscriberGetsEveryRetainedMessagePastItsQueueAndWindow_MQTT_3_3_1_9() throws Exception {
        retain(16);
        Mqtt3BlockingClient subscriber = v3("retained-q1");
        subscriber.connect();
        var publishes = track(subscriber.publishes(MqttGlobalPublishFilter.ALL));
        subscriber.subscribeWith().topicFilter("r/#").qos(MqttQos.AT_LEAST_ONCE).send();
        expectEveryRetainedThenTheLiveOne(() -> publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .map(m -> new Received(m.getTopic().toString(), m.isRetain(), m.getPayloadAsBytes())).orElseThrow());
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_full")).isZero();
    }

    /** QoS 0: far more than the socket's write buffer mark (128 KB) and the queue hold. */
    @Test
    void aQos0SubscriberGetsEveryRetainedMessagePastTheWriteBufferAndTheQueue() throws Exception {
        retain(4096);
        Mqtt5BlockingClient subscriber = v5("retained-q0");
        subscriber.connect();
        var publishes = track(subscriber.publishes(MqttGlobalPublishFilter.ALL));
        subscriber.subscribeWith().topicFilter("r/#").qos(MqttQos.AT_MOST_ONCE).send();
        expectEveryRetainedThenTheLiveOne(() -> publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .map(m -> new Received(m.getTopic().toString(), m.isRetain(), m.getPayloadAsBytes())).orElseThrow());
    }

    private record Received(String topic, boolean retain, byte[] payload) {
    }

    /** Every retained topic once, then the message published after the SUBACK. */
    private void expectEveryRetainedThenTheLiveOne(Callable<Received> next) throws Exception {
        publishLive();
        Set<String> topics = new HashSet<>();
        for (int i = 0; i < RETAINED; i++) {
            Received message = next.call();
            assertThat(message.retain()).isTrue();
            topics.add(message.topic());
        }
        assertThat(topics).hasSize(RETAINED);
        Received live = next.call();
        assertThat(live.retain()).isFalse();
        assertThat(new String(live.payload(), StandardCharsets.UTF_8)).isEqualTo("new");
    }
}
