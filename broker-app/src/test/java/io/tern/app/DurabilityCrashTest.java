package io.tern.app;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The daemon as a real process, killed with SIGKILL while QoS 1 and QoS 2 publishers run against
 * persistent subscribers (two offline, two online), then restarted on the same store. After the
 * last round every subscriber drains: each message a publisher saw acknowledged (PUBACK, PUBREC)
 * must have arrived at least once (QoS 1) and exactly once (QoS 2).
 *
 * <p>CI runs {@code tern.crash.rounds} (default 4) rounds; a soak is
 * {@code ./mvnw -pl broker-app verify -Dtest=DurabilityCrashTest -Dtern.crash.rounds=200}.
 */
class DurabilityCrashTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Process daemon;
    private volatile int port;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // already closed
            }
        }
        if (daemon != null) {
            daemon.destroyForcibly().waitFor();
        }
    }

    private void startDaemon(int fixedPort) throws Exception {
        Path config = dir.resolve("tern.yaml");
        Files.writeString(config, "listeners:\n  tcp: { host: 127.0.0.1, port: " + fixedPort + " }\n"
                + "storage: { type: rocksdb, dir: " + dir.resolve("data") + " }\n"
                + "sessions: { max_queued_messages: 1000000 }\nserver: { sys_interval_seconds: 0 }\n");
        daemon = Daemons.start(Map.of("TERN_STORAGE_TYPE", "rocksdb"), "--config", config.toString());
        BlockingQueue<String> lines = Daemons.linesOf(daemon);
        port = Daemons.boundPort(lines);
        Daemons.awaitLine(lines, "broker_started");
    }

    private void killDaemon() throws Exception {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(daemon.pid())).start();
        assertThat(kill.waitFor() == 0 && daemon.waitFor() != 0).as("the daemon died by SIGKILL").isTrue();
    }

    private static MqttMessage reply(MqttMessageType type, int packetId) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0), MqttMessageIdVariableHeader.from(packetId));
    }

    private RawClient connect(String clientId, MqttVersion version, boolean clean) throws Exception {
        RawClient client = new RawClient(port, version);
        MqttProperties properties = new MqttProperties();
        if (version == MqttVersion.MQTT_5 && !clean) {
            properties.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(),
                    3600));
        }
        client.send(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(clean)
                .keepAlive(60).properties(properties).build());
        MqttMessage connAck = client.receive(WAIT);
        if (!(connAck instanceof MqttConnAckMessage ack)
                || ack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            client.close();
            throw new IllegalStateException("not connected: " + connAck);
        }
        return client;
    }

    /**
     * A persistent subscriber following the receiver's side of the protocol [MQTT-4.3.3]: a QoS 2
     * packet id is remembered from PUBLISH to PUBREL, and a PUBLISH with a remembered id is not
     * delivered again. Its state outlives reconnects, as a real client's does.
     */
    private final class Subscriber {
        final String clientId;
        final String topic;
        final int qos;
        final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
        final Set<Integer> awaitingPubRel = ConcurrentHashMap.newKeySet();
        /** Payloads not delivered because their packet id was awaiting PUBREL (for a failure report). */
        final Map<String, Integer> ignoredAsResend = new ConcurrentHashMap<>();

        Subscriber(String clientId, String topic, int qos) {
            this.clientId = clientId;
            this.topic = topic;
            this.qos = qos;
        }

        RawClient open() throws Exception {
            RawClient client = connect(clientId, MqttVersion.MQTT_5, false);
            client.send(MqttMessageBuilders.subscribe().messageId(1).addSubscription(topic, new MqttSubscriptionOption(
                    MqttQoS.valueOf(qos), false, false, MqttSubscriptionOption.RetainedHandlingPolicy.DONT_SEND_AT_SUBSCRIBE))
                    .build());
            return client;
        }

        /** Handles one packet; returns the payload of a delivered PUBLISH, else null. */
        String handle(RawClient client, MqttMessage packet) throws Exception {
            if (packet instanceof MqttPublishMessage publish) {
                String payload = publish.content().toString(StandardCharsets.UTF_8);
                int packetId = publish.variableHeader().packetId();
                publish.release();
                // Deliver (record) before acknowledging, as a client must: the acknowledgement may
                // fail when the broker dies, and the resend must then count as already delivered.
                boolean first = publish.fixedHeader().qosLevel() != MqttQoS.EXACTLY_ONCE || awaitingPubRel.add(packetId);
                if (first) {
                    received.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
                } else {
                    ignoredAsResend.put(payload + (publish.fixedHeader().isDup() ? " dup" : " NOT dup"), packetId);
                }
                if (publish.fixedHeader().qosLevel() == MqttQoS.EXACTLY_ONCE) {
                    client.send(reply(MqttMessageType.PUBREC, packetId));
                } else if (publish.fixedHeader().qosLevel() == MqttQoS.AT_LEAST_ONCE) {
                    client.send(reply(MqttMessageType.PUBACK, packetId));
                }
                return first ? payload : null; // a resend before PUBREL was delivered already
            }
            if (packet.fixedHeader().messageType() == MqttMessageType.PUBREL) {
                int packetId = ((MqttMessageIdVariableHeader) packet.variableHeader()).messageId();
                awaitingPubRel.remove(packetId);
                client.send(reply(MqttMessageType.PUBCOMP, packetId));
            }
            return null;
        }

        /** Reads until {@code marker} arrives (it was published after everything else). */
        void drainUntil(RawClient client, String marker) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                MqttMessage packet = client.receive(WAIT);
                if (packet != null && marker.equals(handle(client, packet))) {
                    return;
                }
            }
            throw new AssertionError(clientId + " never received " + marker);
        }
    }

    /** Reads for an online subscriber until its connection drops (the broker was killed). */
    private Thread reader(Subscriber subscriber, RawClient client) {
        Thread thread = new Thread(() -> {
            try {
                while (true) {
                    MqttMessage packet = client.receive(Duration.ofSeconds(1));
                    if (packet == null) {
                        if (client.closedByServer(Duration.ofMillis(1))) {
                            return;
                        }
                        continue;
                    }
                    subscriber.handle(client, packet);
                }
            } catch (Exception e) {
                // the broker went away mid-packet
            }
        }, "reader-" + subscriber.clientId);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Publishes numbered messages one at a time; records those the broker acknowledged. */
    private Thread publisher(String clientId, String topic, int qos, AtomicLong next, Set<String> acknowledged) {
        Thread thread = new Thread(() -> {
            try (RawClient client = connect(clientId, MqttVersion.MQTT_3_1_1, true)) {
                int packetId = 0;
                while (true) {
                    packetId = packetId % 65_535 + 1;
                    String payload = topic + "#" + next.getAndIncrement();
                    client.send(MqttMessageBuilders.publish().topicName(topic).qos(MqttQoS.valueOf(qos)).messageId(packetId)
                            .payload(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8)).build());
                    MqttMessage ack = client.receive(WAIT);
                    if (ack == null) {
                        return; // killed
                    }
                    acknowledged.add(payload); // PUBACK (QoS 1) or PUBREC (QoS 2): the broker's acknowledgement
                    if (qos == 2) {
                        client.send(reply(MqttMessageType.PUBREL, packetId));
                        if (client.receive(WAIT) == null) {
                            return;
                        }
                    }
                }
            } catch (Exception e) {
                // killed mid-exchange
            }
        }, "publisher-" + clientId);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Every step below has its own bound, so a soak of many rounds may outlast the suite's 60 s default. */
    @Test
    @org.junit.jupiter.api.Timeout(value = 2, unit = java.util.concurrent.TimeUnit.HOURS)
    void everyAcknowledgedMessageSurvivesRepeatedKill9() throws Exception {
        int rounds = Integer.getInteger("tern.crash.rounds", 4);
        Random random = new Random(Long.getLong("tern.crash.seed", 42L));
        startDaemon(0);
        int fixedPort = port;
        Subscriber offline1 = new Subscriber("offline-q1", "crash/q1", 1);
        Subscriber offline2 = new Subscriber("offline-q2", "crash/q2", 2);
        Subscriber online1 = new Subscriber("online-q1", "crash/q1", 1);
        Subscriber online2 = new Subscriber("online-q2", "crash/q2", 2);
        for (Subscriber offline : List.of(offline1, offline2)) {
            try (RawClient client = offline.open()) {
                assertThat(client.receive(WAIT).fixedHeader().messageType()).isEqualTo(MqttMessageType.SUBACK);
            }
        }
        Set<String> acked1 = ConcurrentHashMap.newKeySet();
        Set<String> acked2 = ConcurrentHashMap.newKeySet();
        AtomicLong next1 = new AtomicLong();
        AtomicLong next2 = new AtomicLong();
        for (int round = 0; round < rounds; round++) {
            List<Thread> threads = new ArrayList<>();
            for (Subscriber online : List.of(online1, online2)) {
                RawClient client = online.open();
                closeables.add(client);
                threads.add(reader(online, client));
            }
            int before = acked1.size() + acked2.size();
            threads.add(publisher("pub-q1-" + round, "crash/q1", 1, next1, acked1));
            threads.add(publisher("pub-q2-" + round, "crash/q2", 2, next2, acked2));
            int target = before + 50 + random.nextInt(400); // kill at a random point
            await().atMost(Duration.ofSeconds(60)).until(() -> acked1.size() + acked2.size() >= target);
            killDaemon();
            for (Thread thread : threads) {
                thread.join(WAIT.toMillis());
            }
            startDaemon(fixedPort);
        }

        String marker1 = "crash/q1#end";
        String marker2 = "crash/q2#end";
        List<RawClient> drains = new ArrayList<>();
        for (Subscriber subscriber : List.of(offline1, offline2, online1, online2)) {
            RawClient client = subscriber.open();
            closeables.add(client);
            drains.add(client);
        }
        try (RawClient markers = connect("markers", MqttVersion.MQTT_3_1_1, true)) {
            markers.send(MqttMessageBuilders.publish().topicName("crash/q1").qos(MqttQoS.AT_LEAST_ONCE).messageId(1)
                    .payload(Unpooled.copiedBuffer(marker1, StandardCharsets.UTF_8)).build());
            markers.send(MqttMessageBuilders.publish().topicName("crash/q2").qos(MqttQoS.AT_LEAST_ONCE).messageId(2)
                    .payload(Unpooled.copiedBuffer(marker2, StandardCharsets.UTF_8)).build());
            offline1.drainUntil(drains.get(0), marker1);
            offline2.drainUntil(drains.get(1), marker2);
            online1.drainUntil(drains.get(2), marker1);
            online2.drainUntil(drains.get(3), marker2);
        }

        for (Subscriber subscriber : List.of(offline1, online1)) {
            Set<String> lost = new HashSet<>(acked1);
            lost.removeAll(subscriber.received.keySet());
            assertThat(lost).as("acknowledged QoS 1 messages %s never received", subscriber.clientId).isEmpty();
        }
        for (Subscriber subscriber : List.of(offline2, online2)) {
            Set<String> lost = new HashSet<>(acked2);
            lost.removeAll(subscriber.received.keySet());
            assertThat(lost).as("acknowledged QoS 2 messages %s never received (ignored as resends: %s)",
                    subscriber.clientId, subscriber.ignoredAsResend).isEmpty();
            assertThat(subscriber.received.entrySet()).as("QoS 2 messages %s received twice", subscriber.clientId)
                    .allSatisfy(e -> assertThat(e.getValue().get()).as(e.getKey()).isEqualTo(1));
        }
        System.out.printf("crash_test rounds=%d acked_q1=%d acked_q2=%d lost=0 duplicates_q2=0%n", rounds, acked1.size(),
                acked2.size());
    }
}
