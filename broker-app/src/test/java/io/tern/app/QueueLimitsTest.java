package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Offline queues bounded in messages, bytes and over all sessions, each drop counted by reason. */
class QueueLimitsTest extends ClientSupport {
    private String yaml = "";

    @Override
    String brokerYaml() {
        return yaml;
    }

    private void offlineSubscriber(String clientId, String filter) {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(port()).buildBlocking();
        client.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
        client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
        client.disconnect();
        awaitOffline(clientId);
    }

    private void publish(String topic, int count, int payloadBytes) {
        Mqtt5BlockingClient publisher = v5("pub-" + topic.hashCode());
        publisher.connect();
        for (int i = 0; i < count; i++) {
            byte[] payload = new byte[payloadBytes];
            byte[] label = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(label, 0, payload, 0, label.length);
            publisher.publishWith().topic(topic).payload(payload).qos(MqttQos.AT_LEAST_ONCE).send();
        }
        publisher.disconnect();
    }

    /** Reconnects and reads what was queued, ending at a marker published afterwards. */
    private List<String> drain(String clientId, String markerTopic) throws Exception {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost("127.0.0.1")
                .serverPort(port()).buildBlocking();
        var messages = track(client.publishes(MqttGlobalPublishFilter.ALL));
        client.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
        track(client::disconnect);
        Mqtt5BlockingClient marker = v5("marker-" + clientId);
        marker.connect();
        marker.publishWith().topic(markerTopic).payload("end".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();
        List<String> received = new ArrayList<>();
        while (true) {
            var message = messages.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
            String text = new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8).trim();
            if (text.equals("end")) {
                return received;
            }
            received.add(text.replace("\0", ""));
        }
    }

    @Test
    void aSessionsQueuedBytesAreBoundedAndTheOldestGoFirst() throws Exception {
        yaml = "sessions: { max_queued_bytes: 10000 }\n";
        offlineSubscriber("bytes", "b/#");
        publish("b/t", 20, 1000); // about 21 KB queued against a 10 KB limit
        List<String> received = drain("bytes", "b/end");
        assertThat(received).hasSizeBetween(5, 10).endsWith("19");
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_bytes")).isEqualTo(20 - received.size());
    }

    @Test
    void allSessionsTogetherStayUnderTheGlobalLimit() throws Exception {
        yaml = "sessions: { max_queued_messages_total: 6 }\n";
        offlineSubscriber("g1", "g/#");
        offlineSubscriber("g2", "g/#");
        publish("g/t", 5, 10); // 10 deliveries for 6 places
        // Offline sessions take deliveries on their own executors: wait for them to have.
        org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() ->
                assertThat(broker().counter("tern.messages.dropped", "reason", "queue_total")).isEqualTo(4));
        List<String> first = drain("g1", "g/end1");
        List<String> second = drain("g2", "g/end2");
        assertThat(first.size() + second.size()).isEqualTo(6);
    }

    @Test
    void connectedSubscribersHoldPublishersBackAtTheGlobalLimitInsteadOfLosingMessages() throws Exception {
        yaml = "sessions: { max_queued_messages_total: 40 }\n";
        io.netty.handler.codec.mqtt.MqttProperties window = new io.netty.handler.codec.mqtt.MqttProperties();
        window.add(new io.netty.handler.codec.mqtt.MqttProperties.IntegerProperty(
                io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value(), 1));
        RawClient slow = rawConnected(io.netty.handler.codec.mqtt.MqttVersion.MQTT_5, "slow", true, window);
        slow.send(io.netty.handler.codec.mqtt.MqttMessageBuilders.subscribe().messageId(1)
                .addSubscription(io.netty.handler.codec.mqtt.MqttQoS.AT_LEAST_ONCE, "w/#").build());
        slow.receive(WAIT);
        Mqtt5BlockingClient publisher = v5("w-pub");
        publisher.connect();
        Thread publishing = new Thread(() -> {
            for (int i = 0; i < 200; i++) {
                publisher.publishWith().topic("w/t").payload(Integer.toString(i).getBytes(StandardCharsets.UTF_8))
                        .qos(MqttQos.AT_LEAST_ONCE).send();
            }
        }, "w-publisher");
        publishing.start();
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> broker().counter("tern.publishers.throttled") > 0);
        for (int i = 0; i < 200; i++) {
            var message = (io.netty.handler.codec.mqtt.MqttPublishMessage) slow.receive(WAIT);
            assertThat(message).as("message %d", i).isNotNull();
            assertThat(message.content().toString(StandardCharsets.UTF_8)).isEqualTo(Integer.toString(i));
            slow.send(new io.netty.handler.codec.mqtt.MqttMessage(new io.netty.handler.codec.mqtt.MqttFixedHeader(
                    io.netty.handler.codec.mqtt.MqttMessageType.PUBACK, false,
                    io.netty.handler.codec.mqtt.MqttQoS.AT_MOST_ONCE, false, 0),
                    io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader.from(message.variableHeader().packetId())));
            message.release();
        }
        publishing.join(WAIT.toMillis());
        assertThat(broker().counter("tern.messages.dropped", "reason", "queue_total")).isZero();
    }
}
