package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.unsubscribe.unsuback.Mqtt5UnsubAckReasonCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** MQTT 5 end to end with the HiveMQ MQTT client against the real server. */
class Mqtt5EndToEndTest extends ClientSupport {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Mqtt5Publish publish) {
        return new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8);
    }

    private static Mqtt5Publish next(Mqtt5Publishes publishes) throws InterruptedException {
        Optional<Mqtt5Publish> publish = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(publish).as("a message within %s", WAIT).isPresent();
        return publish.get();
    }

    private static void assertNothing(Mqtt5Publishes publishes) throws InterruptedException {
        assertThat(publishes.receive(SHORT.toMillis(), TimeUnit.MILLISECONDS)).isEmpty();
    }

    private Mqtt5BlockingClient connected(String id) {
        Mqtt5BlockingClient client = v5(id);
        client.connect();
        return client;
    }

    @Test
    void qos0to2RoundTripAndQosIsDowngradedToTheSubscription_MQTT_3_8_4_8() throws Exception {
        Mqtt5BlockingClient sub = connected("sub");
        Mqtt5Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("q/#").qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient pub = connected("pub");
        for (MqttQos qos : MqttQos.values()) {
            pub.publishWith().topic("q/" + qos.getCode()).payload(bytes("m" + qos.getCode())).qos(qos).send();
        }
        List<Mqtt5Publish> got = List.of(next(publishes), next(publishes), next(publishes));
        assertThat(got).extracting(Mqtt5EndToEndTest::text).containsExactly("m0", "m1", "m2");
        assertThat(got).extracting(Mqtt5Publish::getQos)
                .containsExactly(MqttQos.AT_MOST_ONCE, MqttQos.AT_LEAST_ONCE, MqttQos.AT_LEAST_ONCE);
    }

    @Test
    void qos2DeliveredExactlyOnceBothWays() throws Exception {
        Mqtt5BlockingClient sub = connected("sub2");
        Mqtt5Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("eo/t").qos(MqttQos.EXACTLY_ONCE).send();
        Mqtt5BlockingClient pub = connected("pub2");
        for (int i = 0; i < 50; i++) {
            pub.publishWith().topic("eo/t").payload(bytes("n" + i)).qos(MqttQos.EXACTLY_ONCE).send();
        }
        for (int i = 0; i < 50; i++) {
            Mqtt5Publish p = next(publishes);
            assertThat(text(p)).isEqualTo("n" + i); // ordered topic [MQTT-4.6.0-6]
            assertThat(p.getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
        }
        assertNothing(publishes);
    }

    @Test
    void pubAckSaysWhenNoSubscriberMatched() {
        Mqtt5BlockingClient pub = connected("lonely");
        Mqtt5PublishResult result = pub.publishWith().topic("nobody/here").qos(MqttQos.AT_LEAST_ONCE)
                .payload(bytes("x")).send();
        assertThat(((Mqtt5PublishResult.Mqtt5Qos1Result) result).getPubAck().getReasonCode())
                .isEqualTo(Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS);
    }

    @Test
    void retainedMessagesAreSetReplacedAndDeleted_MQTT_3_3_1_5_to_3_3_1_11() throws Exception {
        Mqtt5BlockingClient pub = connected("rpub");
        pub.publishWith().topic("r/a").payload(bytes("one")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        pub.publishWith().topic("r/a").payload(bytes("two")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        pub.publishWith().topic("r/b").payload(bytes("b")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        pub.publishWith().topic("r/b").payload(new byte[0]).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();

        Mqtt5BlockingClient sub = connected("rsub");
        Mqtt5Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("r/#").qos(MqttQos.EXACTLY_ONCE).send();
        Mqtt5Publish retained = next(publishes);
        assertThat(text(retained)).isEqualTo("two");
        assertThat(retained.isRetain()).isTrue(); // sent because of the subscription [MQTT-3.3.1-8]
        assertThat(retained.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
        assertNothing(publishes); // r/b was deleted

        pub.publishWith().topic("r/a").payload(bytes("live")).retain(true).send();
        Mqtt5Publish live = next(publishes);
        assertThat(live.isRetain()).isFalse(); // Retain As Published 0 [MQTT-3.3.1-12]
    }

    @Test
    void retainHandlingAndRetainAsPublished() throws Exception {
        Mqtt5BlockingClient pub = connected("rhpub");
        pub.publishWith().topic("rh/t").payload(bytes("kept")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient sub = connected("rhsub");
        Mqtt5Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);

        sub.subscribeWith().topicFilter("rh/t").retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).send();
        assertNothing(publishes); // Retain Handling 2
        sub.unsubscribeWith().topicFilter("rh/t").send();

        sub.subscribeWith().topicFilter("rh/t").retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
                .retainAsPublished(true).send();
        assertThat(text(next(publishes))).isEqualTo("kept"); // new subscription: sent
        sub.subscribeWith().topicFilter("rh/t").retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST)
                .retainAsPublished(true).send();
        assertNothing(publishes); // existing subscription: not sent again

        pub.publishWith().topic("rh/t").payload(bytes("again")).retain(true).send();
        assertThat(next(publishes).isRetain()).isTrue(); // Retain As Published 1
    }

    @Test
    void sessionIsResumedWithQueuedMessages_MQTT_3_2_2_2() throws Exception {
        Mqtt5BlockingClient client = v5("persist");
        Mqtt5ConnAck first = client.connectWith().cleanStart(true).sessionExpiryInterval(60).send();
        assertThat(first.isSessionPresent()).isFalse();
        client.subscribeWith().topicFilter("offline/#").qos(MqttQos.AT_LEAST_ONCE).send();
        client.disconnect();
        awaitOffline("persist");

        Mqtt5BlockingClient pub = connected("offline-pub");
        for (int i = 0; i < 3; i++) {
            pub.publishWith().topic("offline/" + i).payload(bytes("q" + i)).qos(MqttQos.AT_LEAST_ONCE).send();
        }
        pub.publishWith().topic("offline/qos0").payload(bytes("dropped")).qos(MqttQos.AT_MOST_ONCE).send();
        // QoS 0 is fire-and-forget: an acknowledged publish on the same connection fences it.
        pub.publishWith().topic("fence").payload(bytes("f")).qos(MqttQos.AT_LEAST_ONCE).send();

        Mqtt5BlockingClient again = v5("persist");
        Mqtt5Publishes publishes = again.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5ConnAck resumed = again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        assertThat(resumed.isSessionPresent()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(text(next(publishes))).isEqualTo("q" + i);
        }
        assertNothing(publishes); // QoS 0 is not queued for offline sessions by default
    }

    @Test
    void cleanStartDiscardsTheSession() throws Exception {
        Mqtt5BlockingClient client = v5("discard");
        client.connectWith().sessionExpiryInterval(60).send();
        client.subscribeWith().topicFilter("d/t").send();
        client.disconnect();
        awaitOffline("discard");
        Mqtt5BlockingClient again = v5("discard");
        Mqtt5Publishes publishes = again.publishes(MqttGlobalPublishFilter.ALL);
        assertThat(again.connectWith().cleanStart(true).send().isSessionPresent()).isFalse();
        connected("dpub").publishWith().topic("d/t").payload(bytes("x")).send();
        assertNothing(publishes);
    }

    @Test
    void sessionExpiresAfterItsInterval() {
        Mqtt5BlockingClient client = v5("expiring");
        client.connectWith().sessionExpiryInterval(1).send();
        client.subscribeWith().topicFilter("e/t").send();
        client.disconnect();
        assertThat(broker().server.broker().session("expiring")).isNotNull();
        await().atMost(WAIT).until(() -> broker().server.broker().session("expiring") == null);
        Mqtt5BlockingClient again = v5("expiring");
        assertThat(again.connectWith().cleanStart(false).sessionExpiryInterval(1).send().isSessionPresent()).isFalse();
    }

    @Test
    void disconnectCanShortenSessionExpiry_MQTT_3_14_2() {
        Mqtt5BlockingClient client = v5("shorten");
        client.connectWith().sessionExpiryInterval(300).send();
        client.disconnectWith().sessionExpiryInterval(0).send();
        await().atMost(WAIT).until(() -> broker().server.broker().session("shorten") == null);
    }

    @Test
    void sameClientIdTakesTheSessionOver_MQTT_3_1_4_3() throws Exception {
        List<Object> causes = new java.util.concurrent.CopyOnWriteArrayList<>();
        Mqtt5BlockingClient first = com.hivemq.client.mqtt.MqttClient.builder().useMqttVersion5().identifier("dup")
                .serverHost("127.0.0.1").serverPort(port())
                .addDisconnectedListener(ctx -> causes.add(ctx.getCause())).buildBlocking();
        first.connect();
        Mqtt5BlockingClient second = connected("dup");
        await().atMost(WAIT).until(() -> !causes.isEmpty());
        assertThat(causes.get(0)).isInstanceOf(com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException.class);
        var disconnect = ((com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException) causes.get(0)).getMqttMessage();
        assertThat(disconnect.getReasonCode()).isEqualTo(Mqtt5DisconnectReasonCode.SESSION_TAKEN_OVER);
        assertThat(second.getState().isConnected()).isTrue();
    }

    @Test
    void willIsPublishedOnDisconnectWithWillButNotOnNormalDisconnect_MQTT_3_14_4_3() throws Exception {
        Mqtt5BlockingClient watcher = connected("watcher");
        Mqtt5Publishes publishes = watcher.publishes(MqttGlobalPublishFilter.ALL);
        watcher.subscribeWith().topicFilter("will/#").qos(MqttQos.AT_LEAST_ONCE).send();

        Mqtt5BlockingClient polite = v5("polite");
        polite.connectWith().willPublish().topic("will/polite").payload(bytes("gone")).applyWillPublish().send();
        polite.disconnect();
        assertNothing(publishes);

        Mqtt5BlockingClient leaving = v5("leaving");
        leaving.connectWith().willPublish().topic("will/leaving").payload(bytes("bye")).qos(MqttQos.AT_LEAST_ONCE)
                .applyWillPublish().send();
        leaving.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
        Mqtt5Publish will = next(publishes);
        assertThat(will.getTopic().toString()).isEqualTo("will/leaving");
        assertThat(will.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    }

    @Test
    void willDelayWaitsAndIsCancelledByReconnect_MQTT_3_1_3_9() throws Exception {
        Mqtt5BlockingClient watcher = connected("delay-watcher");
        Mqtt5Publishes publishes = watcher.publishes(MqttGlobalPublishFilter.ALL);
        watcher.subscribeWith().topicFilter("dw/#").send();

        RawClient back = track(new RawClient(port(), io.netty.handler.codec.mqtt.MqttVersion.MQTT_5));
        back.send(WillClients.connectWithWill("comes-back", "dw/back", 2, 60));
        assertThat(back.receive(WAIT)).isNotNull();
        back.dropConnection();
        RawClient returned = rawConnected(io.netty.handler.codec.mqtt.MqttVersion.MQTT_5, "comes-back", false,
                WillClients.sessionExpiry(60));
        assertThat(returned).isNotNull();

        RawClient gone = track(new RawClient(port(), io.netty.handler.codec.mqtt.MqttVersion.MQTT_5));
        gone.send(WillClients.connectWithWill("goes-away", "dw/away", 1, 60));
        assertThat(gone.receive(WAIT)).isNotNull();
        long dropped = System.nanoTime();
        gone.dropConnection();
        Mqtt5Publish will = next(publishes);
        assertThat(will.getTopic().toString()).isEqualTo("dw/away"); // not dw/back: that one reconnected
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - dropped)).isGreaterThanOrEqualTo(900);
        assertNothing(publishes);
    }

    @Test
    void messageExpiryDropsStaleQueuedMessagesAndForwardsTheRemainder_MQTT_3_3_2_5() throws Exception {
        Mqtt5BlockingClient client = v5("exp");
        client.connectWith().sessionExpiryInterval(60).send();
        client.subscribeWith().topicFilter("exp/#").qos(MqttQos.AT_LEAST_ONCE).send();
        client.disconnect();
        awaitOffline("exp");
        Mqtt5BlockingClient pub = connected("exp-pub");
        pub.publishWith().topic("exp/short").payload(bytes("stale")).qos(MqttQos.AT_LEAST_ONCE)
                .messageExpiryInterval(1).send();
        pub.publishWith().topic("exp/long").payload(bytes("fresh")).qos(MqttQos.AT_LEAST_ONCE)
                .messageExpiryInterval(100).send();
        await().pollDelay(java.time.Duration.ofMillis(1100)).atMost(WAIT).until(() -> true);
        Mqtt5BlockingClient again = v5("exp");
        Mqtt5Publishes publishes = again.publishes(MqttGlobalPublishFilter.ALL);
        again.connectWith().cleanStart(false).sessionExpiryInterval(60).send();
        Mqtt5Publish fresh = next(publishes);
        assertThat(text(fresh)).isEqualTo("fresh");
        assertThat(fresh.getMessageExpiryInterval().getAsLong()).isBetween(90L, 99L);
        assertNothing(publishes);
    }

    @Test
    void messagesLargerThanTheClientsMaximumPacketSizeAreDroppedForThatClient_MQTT_3_1_2_24() throws Exception {
        Mqtt5BlockingClient small = v5("small");
        Mqtt5Publishes publishes = small.publishes(MqttGlobalPublishFilter.ALL);
        small.connectWith().restrictions().maximumPacketSize(200).applyRestrictions().send();
        small.subscribeWith().topicFilter("size/#").send();
        Mqtt5BlockingClient pub = connected("size-pub");
        pub.publishWith().topic("size/big").payload(new byte[500]).send();
        pub.publishWith().topic("size/small").payload(bytes("fits")).send();
        assertThat(text(next(publishes))).isEqualTo("fits");
        assertNothing(publishes);
    }

    @Test
    void noLocalSuppressesOwnMessages_MQTT_3_8_3_3() throws Exception {
        Mqtt5BlockingClient self = connected("self");
        Mqtt5Publishes publishes = self.publishes(MqttGlobalPublishFilter.ALL);
        self.subscribeWith().topicFilter("nl/t").noLocal(true).send();
        self.publishWith().topic("nl/t").payload(bytes("mine")).qos(MqttQos.AT_LEAST_ONCE).send();
        assertNothing(publishes);
        connected("other").publishWith().topic("nl/t").payload(bytes("theirs")).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(text(next(publishes))).isEqualTo("theirs");
    }

    @Test
    void applicationPropertiesAreForwardedUnchanged_MQTT_3_3_2_20() throws Exception {
        Mqtt5BlockingClient sub = connected("props-sub");
        Mqtt5Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("props/t").send();
        connected("props-pub").publishWith().topic("props/t").payload(bytes("{\"v\":1}"))
                .contentType("application/json").responseTopic("reply/here").correlationData(bytes("corr-7"))
                .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                .userProperties().add("a", "1").add("b", "2").add("a", "3").applyUserProperties().send();
        Mqtt5Publish got = next(publishes);
        assertThat(got.getContentType()).hasValueSatisfying(v -> assertThat(v.toString()).isEqualTo("application/json"));
        assertThat(got.getResponseTopic()).hasValueSatisfying(v -> assertThat(v.toString()).isEqualTo("reply/here"));
        assertThat(StandardCharsets.UTF_8.decode(got.getCorrelationData().orElseThrow()).toString()).isEqualTo("corr-7");
        assertThat(got.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
        assertThat(got.getUserProperties().asList()).extracting(p -> p.getName() + "=" + p.getValue())
                .containsExactly("a=1", "b=2", "a=3");
    }

    @Test
    void payloadDeclaredUtf8MustBeUtf8_MQTT_3_3_2_4() {
        Mqtt5BlockingClient pub = connected("utf8");
        var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(
                com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException.class,
                () -> pub.publishWith().topic("u/t").qos(MqttQos.AT_LEAST_ONCE)
                        .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
                        .payload(new byte[]{(byte) 0xC3, (byte) 0x28}).send());
        assertThat(thrown.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5PubAckReasonCode.PAYLOAD_FORMAT_INVALID);
        assertThat(pub.getState().isConnected()).isTrue();
    }

    @Test
    void subAckAndUnsubAckCarryAReasonCodePerFilter() {
        Mqtt5BlockingClient client = connected("codes");
        var subAck = client.subscribeWith()
                .addSubscription().topicFilter("c/0").qos(MqttQos.AT_MOST_ONCE).applySubscription()
                .addSubscription().topicFilter("c/1").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                .addSubscription().topicFilter("c/2").qos(MqttQos.EXACTLY_ONCE).applySubscription()
                .send();
        assertThat(subAck.getReasonCodes()).containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_0,
                Mqtt5SubAckReasonCode.GRANTED_QOS_1, Mqtt5SubAckReasonCode.GRANTED_QOS_2);
        var unsubAck = client.unsubscribeWith().addTopicFilter("c/1").addTopicFilter("c/none").send();
        assertThat(unsubAck.getReasonCodes()).containsExactly(Mqtt5UnsubAckReasonCode.SUCCESS,
                Mqtt5UnsubAckReasonCode.NO_SUBSCRIPTIONS_EXISTED);
    }

    @Test
    void sharedSubscriptionSpreadsMessagesOverTheGroup_MQTT_4_8_2() throws Exception {
        Mqtt5BlockingClient w1 = connected("w1");
        Mqtt5BlockingClient w2 = connected("w2");
        Mqtt5BlockingClient all = connected("all");
        Mqtt5Publishes p1 = w1.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5Publishes p2 = w2.publishes(MqttGlobalPublishFilter.ALL);
        Mqtt5Publishes pAll = all.publishes(MqttGlobalPublishFilter.ALL);
        w1.subscribeWith().topicFilter("$share/workers/jobs/#").qos(MqttQos.AT_LEAST_ONCE).send();
        w2.subscribeWith().topicFilter("$share/workers/jobs/#").qos(MqttQos.AT_LEAST_ONCE).send();
        all.subscribeWith().topicFilter("jobs/#").qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient pub = connected("jobs-pub");
        for (int i = 0; i < 20; i++) {
            pub.publishWith().topic("jobs/" + i).payload(bytes("j" + i)).qos(MqttQos.AT_LEAST_ONCE).send();
        }
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            seen.add(text(next(pAll)));
        }
        List<String> shared = new ArrayList<>();
        Optional<Mqtt5Publish> m;
        while ((m = p1.receive(SHORT.toMillis(), TimeUnit.MILLISECONDS)).isPresent()) {
            shared.add("w1:" + text(m.get()));
        }
        while ((m = p2.receive(SHORT.toMillis(), TimeUnit.MILLISECONDS)).isPresent()) {
            shared.add("w2:" + text(m.get()));
        }
        assertThat(seen).hasSize(20);
        assertThat(shared).hasSize(20);
        assertThat(shared.stream().filter(s -> s.startsWith("w1:")).count()).isEqualTo(10);
        assertThat(shared.stream().map(s -> s.substring(3)).distinct()).hasSize(20);
    }
}
