package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** State in RocksDB coming back after a restart of the embedded broker, for MQTT 3.1.1 and 5. */
class DurableRestartTest {
    private static final java.time.Duration WAIT = ClientSupport.WAIT;

    @TempDir
    Path dir;
    private TestBroker broker;
    private final List<AutoCloseable> clients = new ArrayList<>();

    private void start() {
        broker = TestBroker.withExtra("storage: { type: rocksdb, dir: " + dir.resolve("data") + " }\n");
    }

    /** A clean stop and start on the same directory (kill -9 is DurabilityCrashTest's). */
    private void restart() throws Exception {
        for (AutoCloseable client : clients) {
            try {
                client.close();
            } catch (Exception ignored) {
                // already gone
            }
        }
        clients.clear();
        broker.close();
        start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable client : clients) {
            try {
                client.close();
            } catch (Exception ignored) {
                // already gone
            }
        }
        if (broker != null) {
            broker.close();
        }
    }

    private RawClient raw(MqttVersion version, String clientId, boolean clean, int expirySeconds) throws Exception {
        RawClient client = new RawClient(broker.port(), version);
        clients.add(client);
        MqttProperties properties = new MqttProperties();
        if (version == MqttVersion.MQTT_5 && expirySeconds > 0) {
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(),
                    expirySeconds));
        }
        client.send(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(clean)
                .keepAlive(60).properties(properties).build());
        MqttConnAckMessage connAck = (MqttConnAckMessage) client.receive(WAIT);
        assertThat(connAck).isNotNull();
        return client;
    }

    /** Creates a persistent session subscribed to {@code filter}, then leaves it offline. */
    private void offlineSubscriber(String clientId, String filter, int qos, int expirySeconds) throws Exception {
        RawClient client = raw(MqttVersion.MQTT_5, clientId, true, expirySeconds);
        client.send(subscribe(filter, qos));
        client.receive(WAIT);
        client.close();
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> {
            var session = broker.server.broker().session(clientId);
            return session == null || !session.isOnline();
        });
    }

    private static MqttMessage subscribe(String filter, int qos) {
        return MqttMessageBuilders.subscribe().messageId(1).addSubscription(filter, new MqttSubscriptionOption(
                MqttQoS.valueOf(qos), false, false, MqttSubscriptionOption.RetainedHandlingPolicy.SEND_AT_SUBSCRIBE)).build();
    }

    private static MqttMessage publish(String topic, int qos, int packetId, String payload, boolean retain) {
        return MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).messageId(packetId).retained(retain)
                .payload(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)).build();
    }

    private static MqttMessage reply(MqttMessageType type, int packetId) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0), MqttMessageIdVariableHeader.from(packetId));
    }

    private static String payload(MqttMessage message) {
        return ((MqttPublishMessage) message).content().toString(StandardCharsets.UTF_8);
    }

    @Test
    void offlineQueuesSubscriptionsAndRetainedMessagesSurviveARestartV5AndV311() throws Exception {
        start();
        Mqtt5BlockingClient v5 = MqttClient.builder().useMqttVersion5().identifier("v5-durable").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        v5.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
        v5.subscribeWith().topicFilter("d/#").qos(MqttQos.EXACTLY_ONCE).send();
        v5.disconnect();
        Mqtt3BlockingClient v3 = MqttClient.builder().useMqttVersion3().identifier("v3-durable").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        v3.connectWith().cleanSession(false).send();
        v3.subscribeWith().topicFilter("d/#").qos(MqttQos.AT_LEAST_ONCE).send();
        v3.disconnect();
        Mqtt5BlockingClient publisher = MqttClient.builder().useMqttVersion5().identifier("pub").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        publisher.connect();
        for (int i = 0; i < 20; i++) {
            publisher.publishWith().topic("d/" + i).payload(("m" + i).getBytes(StandardCharsets.UTF_8))
                    .qos(i % 2 == 0 ? MqttQos.AT_LEAST_ONCE : MqttQos.EXACTLY_ONCE).send();
        }
        publisher.publishWith().topic("status/door").payload("open".getBytes(StandardCharsets.UTF_8)).retain(true)
                .qos(MqttQos.AT_LEAST_ONCE).send();
        publisher.disconnect();
        restart();

        Mqtt5BlockingClient v5Again = MqttClient.builder().useMqttVersion5().identifier("v5-durable")
                .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        var v5Messages = v5Again.publishes(MqttGlobalPublishFilter.ALL);
        clients.add(v5Messages);
        assertThat(v5Again.connectWith().cleanStart(false).sessionExpiryInterval(3600).send().isSessionPresent()).isTrue();
        clients.add(v5Again::disconnect);
        for (int i = 0; i < 20; i++) {
            var message = v5Messages.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
            assertThat(new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("m" + i);
        }
        Mqtt3BlockingClient v3Again = MqttClient.builder().useMqttVersion3().identifier("v3-durable")
                .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        var v3Messages = v3Again.publishes(MqttGlobalPublishFilter.ALL);
        clients.add(v3Messages);
        assertThat(v3Again.connectWith().cleanSession(false).send().isSessionPresent()).isTrue();
        clients.add(v3Again::disconnect);
        for (int i = 0; i < 20; i++) {
            var message = v3Messages.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
            assertThat(new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("m" + i);
        }
        // The subscriptions came back too: a message published after the restart arrives live.
        Mqtt5BlockingClient later = MqttClient.builder().useMqttVersion5().identifier("pub2").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        later.connect();
        clients.add(later::disconnect);
        later.publishWith().topic("d/live").payload("live".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(new String(v5Messages.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow().getPayloadAsBytes(),
                StandardCharsets.UTF_8)).isEqualTo("live");
        assertThat(broker.server.broker().retainedMessage("status/door")).hasValueSatisfying(
                m -> assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("open"));
    }

    @Test
    void unacknowledgedOutboundMessagesComeBackWithDupAndTheirPacketIds_MQTT_4_4_0_1() throws Exception {
        start();
        RawClient first = raw(MqttVersion.MQTT_5, "inflight", true, 3600);
        first.send(subscribe("rd/#", 2));
        first.receive(WAIT);
        RawClient pub = raw(MqttVersion.MQTT_3_1_1, "rawpub", true, 0);
        pub.send(publish("rd/1", 1, 1, "qos1", false));
        pub.send(publish("rd/2", 2, 2, "qos2", false));
        MqttPublishMessage q1 = (MqttPublishMessage) first.receive(WAIT);
        MqttPublishMessage q2 = (MqttPublishMessage) first.receive(WAIT);
        first.send(reply(MqttMessageType.PUBREC, q2.variableHeader().packetId()));
        assertThat(first.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL);
        restart(); // neither PUBACK nor PUBCOMP was sent

        RawClient second = raw(MqttVersion.MQTT_5, "inflight", false, 3600);
        MqttPublishMessage again = (MqttPublishMessage) second.receive(WAIT);
        assertThat(again.fixedHeader().isDup()).isTrue();
        assertThat(again.variableHeader().packetId()).isEqualTo(q1.variableHeader().packetId());
        assertThat(payload(again)).isEqualTo("qos1");
        MqttMessage pubRel = second.receive(WAIT);
        assertThat(pubRel.fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL); // not the PUBLISH again
        assertThat(((MqttMessageIdVariableHeader) pubRel.variableHeader()).messageId())
                .isEqualTo(q2.variableHeader().packetId());
        second.send(reply(MqttMessageType.PUBACK, again.variableHeader().packetId()));
        second.send(reply(MqttMessageType.PUBCOMP, q2.variableHeader().packetId()));
        // PINGRESP proves the broker has handled both before it is stopped (acks lost in a stop
        // would rightly mean a resend: at least once).
        second.send(MqttMessage.PINGREQ);
        assertThat(second.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PINGRESP);
        restart();
        RawClient third = raw(MqttVersion.MQTT_5, "inflight", false, 3600);
        assertThat(third.receive(ClientSupport.SHORT)).as("acknowledged messages are gone for good").isNull();
    }

    @Test
    void anInboundQos2MessageAwaitingPubRelIsRoutedExactlyOnceAcrossARestart() throws Exception {
        start();
        offlineSubscriber("exactly-sub", "x/#", 2, 3600);
        RawClient publisher = raw(MqttVersion.MQTT_3_1_1, "exactly-pub", false, 0);
        publisher.send(publish("x/1", 2, 77, "once", false));
        MqttMessage pubRec = publisher.receive(WAIT);
        assertThat(pubRec.fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREC);
        restart();

        RawClient publisherAgain = raw(MqttVersion.MQTT_3_1_1, "exactly-pub", false, 0);
        MqttPublishMessage dup = (MqttPublishMessage) MqttMessageBuilders.publish().topicName("x/1").qos(MqttQoS.EXACTLY_ONCE)
                .messageId(77).payload(Unpooled.copiedBuffer("once", StandardCharsets.UTF_8)).build();
        publisherAgain.send(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, true, MqttQoS.EXACTLY_ONCE,
                false, 0), dup.variableHeader(), dup.payload()));
        assertThat(publisherAgain.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREC);
        publisherAgain.send(reply(MqttMessageType.PUBREL, 77));
        assertThat(publisherAgain.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBCOMP);

        RawClient subscriberAgain = raw(MqttVersion.MQTT_5, "exactly-sub", false, 3600);
        MqttPublishMessage delivered = (MqttPublishMessage) subscriberAgain.receive(WAIT);
        assertThat(payload(delivered)).isEqualTo("once");
        subscriberAgain.send(reply(MqttMessageType.PUBREC, delivered.variableHeader().packetId()));
        assertThat(subscriberAgain.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBREL);
        subscriberAgain.send(reply(MqttMessageType.PUBCOMP, delivered.variableHeader().packetId()));
        assertThat(subscriberAgain.receive(ClientSupport.SHORT)).as("delivered exactly once").isNull();
    }

    @Test
    void aDelayedWillPendingAtTheRestartIsPublishedAfterIt() throws Exception {
        start();
        Mqtt5BlockingClient watcher = MqttClient.builder().useMqttVersion5().identifier("will-watcher")
                .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        watcher.connectWith().cleanStart(true).sessionExpiryInterval(3600).send();
        watcher.subscribeWith().topicFilter("wills/#").qos(MqttQos.AT_LEAST_ONCE).send();
        watcher.disconnect();
        Mqtt5BlockingClient dying = MqttClient.builder().useMqttVersion5().identifier("dying").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        dying.connectWith().sessionExpiryInterval(3600).willPublish().topic("wills/dying")
                .payload("gone".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).delayInterval(1)
                .applyWillPublish().send();
        restart(); // the broker goes away before the will's delay is over

        Mqtt5BlockingClient again = MqttClient.builder().useMqttVersion5().identifier("will-watcher")
                .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
        var messages = again.publishes(MqttGlobalPublishFilter.ALL);
        clients.add(messages);
        again.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
        clients.add(again::disconnect);
        var will = messages.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
        assertThat(will.getTopic().toString()).isEqualTo("wills/dying");
        assertThat(messages.receive(ClientSupport.SHORT.toMillis(), TimeUnit.MILLISECONDS)).as("published once").isEmpty();
    }

    @Test
    void anOfflineQueueLivesInTheStoreAndItsLimitStillDropsTheOldest() throws Exception {
        broker = TestBroker.withExtra("storage: { type: rocksdb, dir: " + dir.resolve("data") + " }\n"
                + "sessions: { max_queued_messages: 5 }\n");
        offlineSubscriber("offline-limited", "l/#", 1, 3600);
        RawClient publisher = raw(MqttVersion.MQTT_3_1_1, "limited-pub", true, 0);
        for (int i = 0; i < 8; i++) {
            publisher.send(publish("l/t", 1, i + 1, "m" + i, false));
            assertThat(publisher.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.PUBACK);
        }
        RawClient again = raw(MqttVersion.MQTT_5, "offline-limited", false, 3600);
        List<String> received = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            MqttPublishMessage message = (MqttPublishMessage) again.receive(WAIT);
            received.add(payload(message));
            again.send(reply(MqttMessageType.PUBACK, message.variableHeader().packetId()));
        }
        assertThat(received).containsExactly("m3", "m4", "m5", "m6", "m7"); // read back from the store, in order
        assertThat(again.receive(ClientSupport.SHORT)).isNull();
        assertThat(broker.counter("tern.messages.dropped", "reason", "queue_full")).isEqualTo(3);
    }

    @Test
    void aTakeoverGetsTheQueueAndInflightOfThePersistentSession_MQTT_3_1_4_3() throws Exception {
        start();
        RawClient first = new RawClient(broker.port(), MqttVersion.MQTT_5);
        clients.add(first);
        MqttProperties properties = new MqttProperties();
        properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), 3600));
        properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value(), 1));
        first.send(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId("taken").cleanSession(true)
                .keepAlive(60).properties(properties).build());
        first.receive(WAIT);
        first.send(subscribe("tk/#", 1));
        first.receive(WAIT);
        RawClient publisher = raw(MqttVersion.MQTT_3_1_1, "tk-pub", true, 0);
        for (int i = 0; i < 3; i++) {
            publisher.send(publish("tk/t", 1, i + 1, "m" + i, false));
            publisher.receive(WAIT);
        }
        assertThat(payload(first.receive(WAIT))).isEqualTo("m0"); // the window of 1 holds m1 and m2 back
        RawClient second = raw(MqttVersion.MQTT_5, "taken", false, 3600); // takes the session over
        List<String> received = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            MqttPublishMessage message = (MqttPublishMessage) second.receive(WAIT);
            assertThat(message).as("message %d after the takeover", i).isNotNull();
            received.add(payload(message));
            second.send(reply(MqttMessageType.PUBACK, message.variableHeader().packetId()));
        }
        assertThat(received).containsExactly("m0", "m1", "m2");
    }

    @Test
    void anExpiredSessionIsNotRestored() throws Exception {
        start();
        offlineSubscriber("short-lived", "s/#", 1, 1);
        broker.close();
        org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ofMillis(1100)).atMost(WAIT).until(() -> true);
        start();
        assertThat(broker.server.broker().session("short-lived")).isNull();
    }
}
