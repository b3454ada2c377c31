package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.ReasonCode;
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Credentials;
import io.tern.core.message.QoS;
import io.tern.core.session.QueueOverflowPolicy;
import io.tern.core.session.Session;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.tern.mqtt.Packets5.connect;
import static io.tern.mqtt.Packets5.publish;
import static io.tern.mqtt.Packets5.reasonOf;
import static io.tern.mqtt.Packets5.type;
import static org.assertj.core.api.Assertions.assertThat;

/** Server limits and the authenticator seen through the tail. */
class MqttTailLimitsTest {

    private static final BrokerSettings QOS1_ONLY = new BrokerSettings(1000, QueueOverflowPolicy.DROP_OLDEST, false,
            20, Session.NEVER_EXPIRES, Session.NEVER_EXPIRES, QoS.AT_LEAST_ONCE, true, 1);

    /** Only "alice" with password "secret" gets in. */
    private static final Authenticator ALICE_ONLY = (Credentials c) -> CompletableFuture.completedFuture(
            "alice".equals(c.username()) && c.password() != null
                    && "secret".equals(new String(c.password(), StandardCharsets.UTF_8))
                    ? new AuthenticationOutcome.Allowed(c.username())
                    : new AuthenticationOutcome.Denied(ReasonCode.BAD_USER_NAME_OR_PASSWORD, "bad credentials"));

    private static MqttMessage login(MqttVersion version, String user, String password) {
        return MqttMessageBuilders.connect().protocolVersion(version).clientId("login-" + version).cleanSession(true)
                .username(user).password(password.getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void credentialsReachTheAuthenticatorAndRefusalsAreAnswered() {
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), BrokerSettings.defaults(), ALICE_ONLY)) {
            TailHarness.Connection v5 = harness.connect(MqttVersion.MQTT_5)
                    .send(login(MqttVersion.MQTT_5, "alice", "wrong"));
            assertThat(reasonOf(v5.received().get(0))).isEqualTo(0x86);
            assertThat(v5.isOpen()).isFalse();
            TailHarness.Connection v3 = harness.connect(MqttVersion.MQTT_3_1_1)
                    .send(login(MqttVersion.MQTT_3_1_1, "mallory", "secret"));
            assertThat(reasonOf(v3.received().get(0))).isEqualTo(0x05);
            assertThat(v3.isOpen()).isFalse();
            TailHarness.Connection ok = harness.connect(MqttVersion.MQTT_5)
                    .send(login(MqttVersion.MQTT_5, "alice", "secret"));
            assertThat(reasonOf(ok.received().get(0))).isZero();
            assertThat(ok.isOpen()).isTrue();
        }
    }

    @Test
    void anAuthenticatorAnsweringLaterIsWaitedFor() {
        AtomicReference<CompletableFuture<AuthenticationOutcome>> pending = new AtomicReference<>();
        Authenticator slow = c -> {
            CompletableFuture<AuthenticationOutcome> f = new CompletableFuture<>();
            pending.set(f);
            return f;
        };
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), BrokerSettings.defaults(), slow)) {
            TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5)
                    .send(connect(MqttVersion.MQTT_5, "patient", true));
            assertThat(c.received()).isEmpty();
            pending.get().complete(new AuthenticationOutcome.Allowed(null));
            assertThat(reasonOf(c.received().get(0))).isZero();
        }
    }

    @Test
    void publishAboveMaximumQosIsRefused_MQTT_3_2_2_11() {
        try (TailHarness harness = new TailHarness(MqttTailSettings.defaults(), QOS1_ONLY, Authenticator.allowAll())) {
            TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(connect(MqttVersion.MQTT_5, "q", true));
            MqttConnAckMessage connAck = (MqttConnAckMessage) c.received().get(0);
            assertThat(Mqtt5Properties.integer(connAck.variableHeader().properties(), MqttPropertyType.MAXIMUM_QOS))
                    .isEqualTo(1);
            c.send(publish("t", 2, 1, "x", MqttProperties.NO_PROPERTIES));
            assertThat(reasonOf(c.received().get(0))).isEqualTo(0x9B);
            assertThat(c.isOpen()).isFalse();
        }
    }

    @Test
    void moreUnreleasedQos2MessagesThanReceiveMaximumIsAnError_MQTT_3_3_4_9() {
        try (TailHarness harness = new TailHarness(new MqttTailSettings(1 << 20, 10_000, 2, 0, 0, 65_535, ""))) {
            TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(connect(MqttVersion.MQTT_5, "rm", true));
            MqttConnAckMessage connAck = (MqttConnAckMessage) c.received().get(0);
            assertThat(Mqtt5Properties.integer(connAck.variableHeader().properties(), MqttPropertyType.RECEIVE_MAXIMUM))
                    .isEqualTo(2);
            c.send(publish("t", 2, 1, "a", MqttProperties.NO_PROPERTIES),
                    publish("t", 2, 2, "b", MqttProperties.NO_PROPERTIES));
            assertThat(c.received()).extracting(Packets5::type).containsExactly(MqttMessageType.PUBREC,
                    MqttMessageType.PUBREC);
            c.send(publish("t", 2, 3, "c", MqttProperties.NO_PROPERTIES));
            List<MqttMessage> replies = c.received();
            assertThat(type(replies.get(0))).isEqualTo(MqttMessageType.DISCONNECT);
            assertThat(reasonOf(replies.get(0))).isEqualTo(0x93);
        }
    }

    @Test
    void serverKeepAliveIsAnnouncedAndEnforced() {
        try (TailHarness harness = new TailHarness(new MqttTailSettings(1 << 20, 10_000, 10, 0, 5, 65_535, ""))) {
            TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(MqttMessageBuilders.connect()
                    .protocolVersion(MqttVersion.MQTT_5).clientId("ska").cleanSession(true).keepAlive(600).build());
            MqttConnAckMessage connAck = (MqttConnAckMessage) c.received().get(0);
            assertThat(Mqtt5Properties.integer(connAck.variableHeader().properties(), MqttPropertyType.SERVER_KEEP_ALIVE))
                    .isEqualTo(5);
            c.server.advanceTimeBy(7_400, TimeUnit.MILLISECONDS); // under 1.5 x 5 s
            c.server.runScheduledPendingTasks();
            assertThat(c.isOpen()).isTrue();
            c.server.advanceTimeBy(1_100, TimeUnit.MILLISECONDS); // over it, by up to two 500 ms sweeps
            c.server.runScheduledPendingTasks();
            assertThat(reasonOf(c.received().get(0))).isEqualTo(0x8D);
        }
    }

    @Test
    void disconnectCannotTurnACleanSessionPersistent_MQTT_3_14_2_2() {
        try (TailHarness harness = new TailHarness()) {
            TailHarness.Connection c = harness.connect(MqttVersion.MQTT_5).send(connect(MqttVersion.MQTT_5, "d", true));
            c.received();
            MqttProperties expiry = new MqttProperties();
            expiry.add(new MqttProperties.IntegerProperty(MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), 60));
            c.send(MqttMessageBuilders.disconnect().reasonCode((byte) 0).properties(expiry).build());
            assertThat(reasonOf(c.received().get(0))).isEqualTo(0x82);
            assertThat(c.isOpen()).isFalse();
        }
    }
}
