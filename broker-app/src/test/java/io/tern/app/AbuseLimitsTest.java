package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Each configured limit tripping with its reason code and metric, and abusers not hurting others. */
class AbuseLimitsTest extends ClientSupport {
    private String yaml = "";

    @Override
    String brokerYaml() {
        return yaml;
    }

    private MqttMessage connect(RawClient client, MqttVersion version, String clientId) throws Exception {
        client.send(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(true)
                .keepAlive(60).build());
        return client.receive(WAIT);
    }

    @Test
    void connectionsPerAddressBeyondTheLimitAreClosedOnAccept() throws Exception {
        yaml = "limits: { max_connections_per_address: 2 }\n";
        RawClient a = raw(MqttVersion.MQTT_5);
        RawClient b = raw(MqttVersion.MQTT_5);
        assertThat(connect(a, MqttVersion.MQTT_5, "pa")).isInstanceOf(MqttConnAckMessage.class);
        assertThat(connect(b, MqttVersion.MQTT_5, "pb")).isInstanceOf(MqttConnAckMessage.class);
        RawClient c = raw(MqttVersion.MQTT_5);
        assertThat(c.closedByServer(WAIT)).isTrue();
        assertThat(broker().counter("tern.limits.hits", "limit", "max_connections_per_address")).isEqualTo(1);
        a.close();
        await().atMost(WAIT).untilAsserted(() -> {
            try (RawClient d = new RawClient(port(), MqttVersion.MQTT_5)) {
                assertThat(connect(d, MqttVersion.MQTT_5, "pd")).isInstanceOf(MqttConnAckMessage.class);
            }
        });
    }

    @Test
    void theGlobalLimitCountsEveryMqttListenerTogether() throws Exception {
        yaml = "  websocket: { host: 127.0.0.1, port: 0 }\nlimits: { max_connections: 2 }\n";
        RawClient tcp = raw(MqttVersion.MQTT_5);
        assertThat(connect(tcp, MqttVersion.MQTT_5, "g1")).isInstanceOf(MqttConnAckMessage.class);
        try (Socket ws = new Socket("127.0.0.1", broker().server.websocketAddress().getPort())) {
            ws.getOutputStream().write(("GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Protocol: mqtt\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ws.setSoTimeout((int) WAIT.toMillis());
            assertThat(new String(ws.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("HTTP/1.1 101");
            RawClient third = raw(MqttVersion.MQTT_5);
            assertThat(third.closedByServer(WAIT)).isTrue();
            assertThat(broker().counter("tern.limits.hits", "limit", "max_connections")).isEqualTo(1);
        }
    }

    @Test
    void connectionsFasterThanTheRateGet0x9FAndV3Gets0x03() throws Exception {
        yaml = "limits: { max_connection_rate_per_address: 1 }\n";
        MqttConnAckMessage refused = null;
        for (int i = 0; i < 20 && refused == null; i++) { // two in the same second trip a rate of one
            RawClient client = raw(MqttVersion.MQTT_5);
            MqttConnAckMessage connAck = (MqttConnAckMessage) connect(client, MqttVersion.MQTT_5, "rate-" + i);
            if (connAck.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                refused = connAck;
                assertThat(client.closedByServer(WAIT)).isTrue();
            }
        }
        assertThat(refused).isNotNull();
        assertThat(refused.variableHeader().connectReturnCode())
                .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_CONNECTION_RATE_EXCEEDED);
        MqttConnAckMessage v3 = null;
        for (int i = 0; i < 20 && v3 == null; i++) {
            MqttConnAckMessage connAck = (MqttConnAckMessage) connect(raw(MqttVersion.MQTT_3_1_1),
                    MqttVersion.MQTT_3_1_1, "rate3-" + i);
            if (connAck.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
                v3 = connAck;
            }
        }
        assertThat(v3.variableHeader().connectReturnCode())
                .isEqualTo(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
        assertThat(broker().counter("tern.limits.hits", "limit", "max_connection_rate_per_address")).isGreaterThan(1);
    }

    @Test
    void subscriptionsBeyondTheLimitGetQuotaExceeded() {
        yaml = "limits: { max_subscriptions_per_session: 2 }\n";
        Mqtt5BlockingClient client = v5("subs");
        client.connect();
        client.subscribeWith().topicFilter("a").send();
        client.subscribeWith().topicFilter("b").send();
        client.subscribeWith().topicFilter("a").qos(MqttQos.AT_LEAST_ONCE).send(); // replacing is not a new one
        assertThatThrownBy(() -> client.subscribeWith().topicFilter("c").send())
                .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
                        .containsExactly(Mqtt5SubAckReasonCode.QUOTA_EXCEEDED));
        client.unsubscribeWith().topicFilter("b").send();
        client.subscribeWith().topicFilter("c").send();
        assertThat(broker().counter("tern.limits.hits", "limit", "max_subscriptions_per_session")).isEqualTo(1);
    }

    @Test
    void topicsLongerOrDeeperThanTheLimitsAreRefused() {
        // $SYS topics are longer and deeper: the broker's own publishes must not trip client limits.
        yaml = "limits: { max_topic_length: 16, max_topic_levels: 3 }\nserver: { sys_interval_seconds: 1 }\n";
        Mqtt5BlockingClient client = v5("topics");
        client.connect();
        client.publishWith().topic("a/b/c").payload(new byte[] {1}).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThatThrownBy(() -> client.publishWith().topic("a/b/c/d").payload(new byte[] {1}).qos(MqttQos.AT_LEAST_ONCE)
                .send()).isInstanceOfSatisfying(Mqtt5PubAckException.class,
                e -> assertThat(e.getMqttMessage().getReasonCode().getCode()).isEqualTo(0x90));
        assertThatThrownBy(() -> client.publishWith().topic("abcdefghijklmnopq").payload(new byte[] {1})
                .qos(MqttQos.AT_LEAST_ONCE).send()).isInstanceOf(Mqtt5PubAckException.class);
        assertThatThrownBy(() -> client.subscribeWith().topicFilter("a/+/c/#").send())
                .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
                        .containsExactly(Mqtt5SubAckReasonCode.TOPIC_FILTER_INVALID));
        assertThat(broker().counter("tern.limits.hits", "limit", "max_topic_levels")).isEqualTo(2);
        assertThat(broker().counter("tern.limits.hits", "limit", "max_topic_length")).isEqualTo(1);
    }

    @Test
    void aClientOverItsPublishRateIsSlowedDownNotCutOffAndLosesNothing() throws Exception {
        yaml = "limits: { max_publish_rate: 200 }\n";
        Mqtt5BlockingClient subscriber = v5("rate-sub");
        subscriber.connect();
        var publishes = track(subscriber.publishes(MqttGlobalPublishFilter.ALL));
        subscriber.subscribeWith().topicFilter("rate/t").qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient publisher = v5("rate-pub");
        publisher.connect();
        int count = 600; // three seconds' worth at the limit, sent as fast as the client can
        for (int i = 0; i < count; i++) {
            publisher.publishWith().topic("rate/t").payload(Integer.toString(i).getBytes()).send();
        }
        for (int i = 0; i < count; i++) {
            var message = publishes.receive(30, TimeUnit.SECONDS).orElseThrow();
            assertThat(new String(message.getPayloadAsBytes())).isEqualTo(Integer.toString(i));
        }
        assertThat(publisher.getState().isConnected()).isTrue();
        assertThat(broker().counter("tern.limits.hits", "limit", "max_publish_rate")).isGreaterThan(0);
    }

    /**
     * A client that keeps sending PINGREQs and reads none of the PINGRESPs: the broker stops reading
     * from it (so TCP stops the client) instead of holding every answer in memory, and once the
     * client reads, every request is answered.
     */
    @Test
    void aClientThatDoesNotReadItsAnswersIsNotReadFromUntilItDoes() throws Exception {
        try (DeafClient client = new DeafClient(port())) {
            // v3.1.1 CONNECT "deaf", clean session, keep alive 0 (no keep-alive timeout while paused)
            byte[] connect = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00,
                    0x00, 0x04, 'd', 'e', 'a', 'f'};
            assertThat(client.exchange(connect, 4)).containsExactly(0x20, 0x02, 0x00, 0x00);
            client.sendUntil(new byte[]{(byte) 0xC0, 0x00}, // PINGREQ
                    () -> broker().counter("tern.limits.hits", "limit", "unread_replies") > 0);
            // Paused: what the broker took before it stopped, and the sockets' buffers, and no more.
            assertThat(client.sentBytes()).isLessThan(32L << 20);
            client.readAllAnswers(new byte[]{(byte) 0xD0, 0x00}); // PINGRESP
        }
    }

    /** Slowloris: sockets that start a CONNECT and never finish it are closed; others are served meanwhile. */
    @Test
    void socketsThatNeverFinishConnectAreDroppedWhileOthersAreServed() throws Exception {
        yaml = "mqtt: { connect_timeout_seconds: 1 }\n";
        broker();
        List<Socket> lingering = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket socket = new Socket("127.0.0.1", port());
                socket.getOutputStream().write(new byte[] {0x10, 0x7f, 0x00}); // CONNECT, length 127, 1 byte of it
                lingering.add(socket);
            }
            Mqtt5BlockingClient subscriber = v5("sl-sub");
            subscriber.connect();
            var publishes = track(subscriber.publishes(MqttGlobalPublishFilter.ALL));
            subscriber.subscribeWith().topicFilter("sl/t").qos(MqttQos.AT_LEAST_ONCE).send();
            Mqtt5BlockingClient publisher = v5("sl-pub");
            publisher.connect();
            publisher.publishWith().topic("sl/t").payload(new byte[] {1}).qos(MqttQos.AT_LEAST_ONCE).send();
            assertThat(publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isPresent();
            for (Socket socket : lingering) {
                socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
                InputStream in = socket.getInputStream();
                assertThat(in.read()).isEqualTo(-1); // closed by the CONNECT timeout
            }
            assertThat(broker().counter("tern.protocol.errors", "reason", "connect_timeout")).isEqualTo(200);
        } finally {
            for (Socket socket : lingering) {
                socket.close();
            }
        }
    }

    /** One client publishing as fast as it can; a well-behaved pair keeps its QoS 1 round trips going. */
    @Test
    void aFloodingPublisherDoesNotStopOthers() throws Exception {
        Mqtt5BlockingClient floodSink = v5("flood-sink");
        floodSink.connect();
        floodSink.subscribeWith().topicFilter("flood/#").send(); // receives, never reads its publishes queue
        Mqtt5BlockingClient subscriber = v5("calm-sub");
        subscriber.connect();
        var publishes = track(subscriber.publishes(MqttGlobalPublishFilter.ALL));
        subscriber.subscribeWith().topicFilter("calm/t").qos(MqttQos.AT_LEAST_ONCE).send();
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong flooded = new AtomicLong();
        try (RawClient flooder = raw(MqttVersion.MQTT_3_1_1)) {
            connect(flooder, MqttVersion.MQTT_3_1_1, "flooder");
            byte[] packet = {0x30, 0x0a, 0x00, 0x06, 'f', 'l', 'o', 'o', 'd', '/', 'x', 'y'}; // QoS 0 PUBLISH
            byte[] burst = new byte[packet.length * 512];
            for (int i = 0; i < 512; i++) {
                System.arraycopy(packet, 0, burst, i * packet.length, packet.length);
            }
            Thread flood = new Thread(() -> {
                try {
                    while (flooding.get()) {
                        flooder.sendRaw(burst);
                        flooded.addAndGet(512);
                    }
                } catch (Exception e) {
                    // the broker may close it when we stop; nothing to assert here
                }
            }, "flooder");
            flood.start();
            try {
                await().atMost(WAIT).until(() -> flooded.get() > 50_000);
                Mqtt5BlockingClient publisher = v5("calm-pub");
                publisher.connect();
                for (int i = 0; i < 50; i++) {
                    publisher.publishWith().topic("calm/t").payload(Integer.toString(i).getBytes())
                            .qos(MqttQos.AT_LEAST_ONCE).send();
                    var message = publishes.receive(30, TimeUnit.SECONDS).orElseThrow();
                    assertThat(new String(message.getPayloadAsBytes())).isEqualTo(Integer.toString(i));
                }
            } finally {
                flooding.set(false);
                flooder.dropConnection();
                flood.join(WAIT.toMillis());
            }
        }
        assertThat(flooded.get()).isGreaterThan(50_000);
    }
}
