package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tern.mqtt.Packets5.connect;
import static io.tern.mqtt.Packets5.intProp;
import static io.tern.mqtt.Packets5.props;
import static io.tern.mqtt.Packets5.publish;
import static io.tern.mqtt.Packets5.reasonOf;
import static io.tern.mqtt.Packets5.subscribe;
import static io.tern.mqtt.Packets5.type;
import static org.assertj.core.api.Assertions.assertThat;

/** The MQTT tail with raw and out-of-order input, on an EmbeddedChannel. */
class MqttTailTest {
    private final TailHarness harness = new TailHarness(new MqttTailSettings(256, 10_000, 4, 4, 0, 65_535, "resp/"));

    @AfterEach
    void close() {
        harness.close();
    }

    private TailHarness.Connection connected(MqttVersion version, String clientId) {
        TailHarness.Connection c = harness.connect(version).send(connect(version, clientId, true));
        List<MqttMessage> replies = c.received();
        assertThat(replies).hasSize(1);
        assertThat(reasonOf(replies.get(0))).isZero();
        return c;
    }

    @Test
    void firstPacketMustBeConnect_MQTT_3_1_0_1() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1).sendRaw(0xC0, 0x00); // PINGREQ
        assertThat(c.receivedBytes()).isEmpty();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void unknownProtocolLevelGetsReturnCode1AndClose_MQTT_3_1_2_2() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1)
                .sendRaw(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x09, 0x02, 0x00, 0x3C, 0x00, 0x00);
        assertThat(c.receivedBytes()).containsExactly(0x20, 0x02, 0x00, 0x01);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void emptyClientIdWithoutCleanSessionIsRejected_MQTT_3_1_3_8() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1)
                .send(connect(MqttVersion.MQTT_3_1_1, "", false));
        List<MqttMessage> replies = c.received();
        assertThat(reasonOf(replies.get(0))).isEqualTo(0x02);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void emptyClientIdIsAssignedForV5_MQTT_3_2_2_16() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(connect(MqttVersion.MQTT_5, "", true));
        MqttConnAckMessage connAck = (MqttConnAckMessage) c.received().get(0);
        assertThat(reasonOf(connAck)).isZero();
        String assigned = Mqtt5Properties.string(connAck.variableHeader().properties(),
                MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER);
        assertThat(assigned).startsWith("tern-");
        assertThat(Mqtt5Properties.unsignedInt(connAck.variableHeader().properties(), MqttPropertyType.MAXIMUM_PACKET_SIZE))
                .isEqualTo(256L);
        assertThat(Mqtt5Properties.integer(connAck.variableHeader().properties(), MqttPropertyType.TOPIC_ALIAS_MAXIMUM))
                .isEqualTo(4);
    }

    @Test
    void secondConnectIsAProtocolError_MQTT_3_1_0_2() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "twice");
        c.send(connect(MqttVersion.MQTT_5, "twice", true));
        List<MqttMessage> replies = c.received();
        assertThat(type(replies.get(0))).isEqualTo(MqttMessageType.DISCONNECT);
        assertThat(reasonOf(replies.get(0))).isEqualTo(0x82);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void secondConnectClosesV3WithoutDisconnect() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_3_1_1, "twice3");
        c.send(connect(MqttVersion.MQTT_3_1_1, "twice3", true));
        assertThat(c.received()).isEmpty();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void malformedFixedHeaderGetsDisconnect81() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "bad-flags");
        c.sendRaw(0x60, 0x02, 0x00, 0x01); // PUBREL with flags 0000: must be 0010 [MQTT-3.6.1-1]
        List<MqttMessage> replies = c.received();
        assertThat(type(replies.get(0))).isEqualTo(MqttMessageType.DISCONNECT);
        assertThat(reasonOf(replies.get(0))).isEqualTo(0x81);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void packetOverMaximumSizeGetsDisconnect95() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "big");
        c.send(publish("a/b", 0, 0, "x".repeat(400), MqttProperties.NO_PROPERTIES));
        List<MqttMessage> replies = c.received();
        assertThat(reasonOf(replies.get(0))).isEqualTo(0x95);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void malformedPacketClosesV3Silently() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_3_1_1, "bad3");
        c.sendRaw(0x60, 0x02, 0x00, 0x01);
        assertThat(c.received()).isEmpty();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void wildcardInPublishTopicIsMalformed_MQTT_3_3_2_2() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "wild");
        c.sendRaw(0x30, 0x07, 0x00, 0x03, 'a', '/', '+', 0x00, 'x'); // QoS 0 PUBLISH to "a/+" 
        List<MqttMessage> replies = c.received();
        assertThat(type(replies.get(0))).isEqualTo(MqttMessageType.DISCONNECT);
        assertThat(reasonOf(replies.get(0))).isIn(0x81, 0x90);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void subscribeWithoutFiltersIsAProtocolError_MQTT_3_8_3_3() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "emptysub");
        c.sendRaw(0x82, 0x03, 0x00, 0x01, 0x00); // SUBSCRIBE id 1, no properties, no filters
        List<MqttMessage> replies = c.received();
        assertThat(reasonOf(replies.get(0))).isIn(0x81, 0x82);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void invalidFilterGetsSubAckFailurePerFilter() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "filters");
        c.send(MqttMessageBuilders.subscribe().messageId(3)
                .addSubscription(io.netty.handler.codec.mqtt.MqttQoS.AT_LEAST_ONCE, "ok/#")
                .addSubscription(io.netty.handler.codec.mqtt.MqttQoS.AT_LEAST_ONCE, "bad/#/x")
                .build());
        MqttSubAckMessage subAck = (MqttSubAckMessage) c.received().get(0);
        assertThat(subAck.payload().reasonCodes()).containsExactly(0x01, 0x8F);
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void publishFromClientWithSubscriptionIdentifierIsAProtocolError_MQTT_3_3_4_6() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "subid");
        c.send(publish("a", 0, 0, "x", props(intProp(MqttPropertyType.SUBSCRIPTION_IDENTIFIER, 5))));
        assertThat(reasonOf(c.received().get(0))).isEqualTo(0x82);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void topicAliasesResolveAndOutOfRangeAliasIsRejected() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "alias");
        c.send(subscribe(1, "alias/t", 0));
        assertThat(c.received()).hasSize(1);
        c.send(publish("alias/t", 0, 0, "first", props(intProp(MqttPropertyType.TOPIC_ALIAS, 2))),
                publish("", 0, 0, "second", props(intProp(MqttPropertyType.TOPIC_ALIAS, 2))));
        List<MqttMessage> delivered = c.received();
        assertThat(delivered).hasSize(2).allSatisfy(m ->
                assertThat(((MqttPublishMessage) m).variableHeader().topicName()).isEqualTo("alias/t"));
        c.send(publish("", 0, 0, "x", props(intProp(MqttPropertyType.TOPIC_ALIAS, 3))));
        assertThat(reasonOf(c.received().get(0))).isEqualTo(0x82); // never set [MQTT-3.3.2-?]
        TailHarness.Connection d = connected(MqttVersion.MQTT_5, "alias2");
        d.send(publish("t", 0, 0, "x", props(intProp(MqttPropertyType.TOPIC_ALIAS, 5))));
        assertThat(reasonOf(d.received().get(0))).isEqualTo(0x94); // above Topic Alias Maximum 4
    }

    @Test
    void qos2InboundIsRoutedExactlyOnce_MQTT_4_3_3() {
        TailHarness.Connection c = connected(MqttVersion.MQTT_5, "q2");
        c.send(subscribe(1, "q2/t", 0));
        c.received();
        MqttPublishMessage first = publish("q2/t", 2, 7, "once", MqttProperties.NO_PROPERTIES);
        c.send(first);
        c.send(publish("q2/t", 2, 7, "once", MqttProperties.NO_PROPERTIES)); // retransmission before PUBREL
        List<MqttMessage> replies = c.received();
        assertThat(replies.stream().filter(m -> type(m) == MqttMessageType.PUBLISH)).hasSize(1);
        assertThat(replies.stream().filter(m -> type(m) == MqttMessageType.PUBREC)).hasSize(2);
        c.send(Packets5.pubRel(7));
        MqttMessage pubComp = c.received().get(0);
        assertThat(type(pubComp)).isEqualTo(MqttMessageType.PUBCOMP);
        assertThat(reasonOf(pubComp)).isZero();
        c.send(Packets5.pubRel(7));
        assertThat(reasonOf(c.received().get(0))).isEqualTo(0x92); // packet identifier not found
    }

    @Test
    void packetsPipelinedBehindConnectAreHandledAfterConnAck() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1).send(
                connect(MqttVersion.MQTT_3_1_1, "pipelined", true),
                subscribe(1, "p/#", 1),
                publish("p/1", 1, 2, "hi", MqttProperties.NO_PROPERTIES));
        List<MqttMessage> replies = c.received();
        assertThat(replies).extracting(Packets5::type).containsExactly(MqttMessageType.CONNACK,
                MqttMessageType.SUBACK, MqttMessageType.PUBACK, MqttMessageType.PUBLISH);
        MqttPublishMessage delivered = (MqttPublishMessage) replies.get(3);
        assertThat(delivered.content().toString(StandardCharsets.UTF_8)).isEqualTo("hi");
    }

    @Test
    void socketWithoutConnectIsClosedAfterTimeout() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1);
        c.server.advanceTimeBy(11, TimeUnit.SECONDS);
        c.server.runScheduledPendingTasks();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void keepAliveTimeoutClosesWithDisconnect8D() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(MqttMessageBuilders.connect()
                .protocolVersion(MqttVersion.MQTT_5).clientId("ka").cleanSession(true).keepAlive(2).build());
        assertThat(c.received()).hasSize(1);
        c.server.advanceTimeBy(2_900, TimeUnit.MILLISECONDS); // not before 1.5 x keep alive
        c.server.runScheduledPendingTasks();
        assertThat(c.isOpen()).isTrue();
        // The sweep runs every 500 ms and is at most two sweeps late.
        c.server.advanceTimeBy(1_100, TimeUnit.MILLISECONDS);
        c.server.runScheduledPendingTasks();
        List<MqttMessage> replies = c.received();
        assertThat(reasonOf(replies.get(0))).isEqualTo(0x8D);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void anyPacketRestartsTheKeepAliveAllowance() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1).send(MqttMessageBuilders.connect()
                .protocolVersion(MqttVersion.MQTT_3_1_1).clientId("pinger").cleanSession(true).keepAlive(2).build());
        assertThat(c.received()).hasSize(1);
        for (int i = 0; i < 10; i++) { // 20 s of pings every 2 s: never closed
            c.server.advanceTimeBy(2_000, TimeUnit.MILLISECONDS);
            c.server.runScheduledPendingTasks();
            c.sendRaw(0xC0, 0x00);
            assertThat(c.received()).hasSize(1); // PINGRESP
        }
        assertThat(c.isOpen()).isTrue();
        c.server.advanceTimeBy(4_000, TimeUnit.MILLISECONDS);
        c.server.runScheduledPendingTasks();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void enhancedAuthenticationIsRefused() {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(MqttMessageBuilders.connect()
                .protocolVersion(MqttVersion.MQTT_5).clientId("auth").cleanSession(true)
                .properties(props(new MqttProperties.StringProperty(MqttPropertyType.AUTHENTICATION_METHOD.value(),
                        "SCRAM-SHA-1"))).build());
        assertThat(reasonOf(c.received().get(0))).isEqualTo(0x8C);
        assertThat(c.isOpen()).isFalse();
    }
}
