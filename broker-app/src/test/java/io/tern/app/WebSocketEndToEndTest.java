package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** MQTT over WebSocket with the HiveMQ client (WebSocket mode) and Paho v5/v3, across transports. */
class WebSocketEndToEndTest extends ClientSupport {

    @Override
    String brokerYaml() {
        return "  websocket: { host: 127.0.0.1, port: 0 }\n  http: { host: 127.0.0.1, port: 0 }\n";
    }

    private int wsPort() {
        return broker().server.websocketAddress().getPort();
    }

    private String wsUri() {
        return "ws://127.0.0.1:" + wsPort() + "/mqtt";
    }

    private Mqtt5BlockingClient v5OverWebSocket(String id) {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(id)
                .serverHost("127.0.0.1").serverPort(wsPort())
                .webSocketConfig().serverPath("mqtt").applyWebSocketConfig()
                .buildBlocking();
        track(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    private Mqtt3BlockingClient v3OverWebSocket(String id) {
        Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier(id)
                .serverHost("127.0.0.1").serverPort(wsPort())
                .webSocketConfig().serverPath("mqtt").applyWebSocketConfig()
                .buildBlocking();
        track(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void hivemqV5OverWebSocketQos0to2AndRetained() throws Exception {
        Mqtt5BlockingClient pub = v5OverWebSocket("ws-pub");
        pub.connect();
        pub.publishWith().topic("ws/retained").payload("kept".getBytes()).retain(true).qos(MqttQos.EXACTLY_ONCE).send();
        Mqtt5BlockingClient sub = v5OverWebSocket("ws-sub");
        sub.connect();
        var publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("ws/#").qos(MqttQos.EXACTLY_ONCE).send();
        Mqtt5Publish retained = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
        assertThat(retained.isRetain()).isTrue();
        assertThat(text(retained.getPayloadAsBytes())).isEqualTo("kept");
        for (MqttQos qos : MqttQos.values()) {
            pub.publishWith().topic("ws/q").payload(("q" + qos.getCode()).getBytes()).qos(qos).send();
        }
        for (MqttQos qos : MqttQos.values()) {
            Mqtt5Publish got = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
            assertThat(got.getQos()).isEqualTo(qos);
            assertThat(text(got.getPayloadAsBytes())).isEqualTo("q" + qos.getCode());
        }
    }

    @Test
    void tcpAndWebSocketClientsReachEachOther() throws Exception {
        Mqtt3BlockingClient ws = v3OverWebSocket("ws-side");
        ws.connect();
        var wsPublishes = ws.publishes(MqttGlobalPublishFilter.ALL);
        ws.subscribeWith().topicFilter("cross/to-ws").qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient tcp = v5("tcp-side");
        tcp.connect();
        var tcpPublishes = tcp.publishes(MqttGlobalPublishFilter.ALL);
        tcp.subscribeWith().topicFilter("cross/to-tcp").qos(MqttQos.AT_LEAST_ONCE).send();

        tcp.publishWith().topic("cross/to-ws").payload("hello ws".getBytes()).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(text(wsPublishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow().getPayloadAsBytes()))
                .isEqualTo("hello ws");
        ws.publishWith().topic("cross/to-tcp").payload("hello tcp".getBytes()).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(text(tcpPublishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow().getPayloadAsBytes()))
                .isEqualTo("hello tcp");
        assertThat(broker().counter("tern.messages.sent", "transport", "ws")).isEqualTo(1.0);
    }

    @Test
    void anHttpPostReachesAWebSocketSubscriber() throws Exception {
        Mqtt5BlockingClient ws = v5OverWebSocket("ws-http-sub");
        ws.connect();
        var publishes = ws.publishes(MqttGlobalPublishFilter.ALL);
        ws.subscribeWith().topicFilter("from-http/#").qos(MqttQos.AT_LEAST_ONCE).send();
        var http = java.net.http.HttpClient.newHttpClient();
        var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                        + broker().server.httpAddress().getPort() + "/publish"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"topic\":\"from-http/x\",\"payload\":\"posted\",\"qos\":1,\"user_properties\":{\"k\":\"v\"}}"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        Mqtt5Publish got = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
        assertThat(text(got.getPayloadAsBytes())).isEqualTo("posted");
        assertThat(got.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
        assertThat(got.getUserProperties().asList()).hasSize(1);
    }

    @Test
    void pahoV5OverWebSocket() throws Exception {
        org.eclipse.paho.mqttv5.client.MqttClient client =
                new org.eclipse.paho.mqttv5.client.MqttClient(wsUri(), "paho5-ws",
                        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
        track(client::close);
        client.connect(new MqttConnectionOptions());
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        client.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[]{
                        new org.eclipse.paho.mqttv5.common.MqttSubscription("p5ws/t", 2)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[]{
                        (topic, message) -> received.add(text(message.getPayload()) + "@" + message.getQos())});
        client.publish("p5ws/t", new MqttMessage("over-ws".getBytes(), 2, false, null));
        assertThat(received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("over-ws@2");
        client.disconnect();
    }

    @Test
    void pahoV3WillIsPublishedWhenItsWebSocketDrops() throws Exception {
        Mqtt5BlockingClient watcher = v5("ws-will-watcher");
        watcher.connect();
        var publishes = watcher.publishes(MqttGlobalPublishFilter.ALL);
        watcher.subscribeWith().topicFilter("ws-will/#").qos(MqttQos.AT_LEAST_ONCE).send();

        org.eclipse.paho.client.mqttv3.MqttClient device =
                new org.eclipse.paho.client.mqttv3.MqttClient(wsUri(), "ws-device", new MemoryPersistence());
        track(device::close);
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setWill("ws-will/device", "gone".getBytes(), 1, false);
        device.connect(options);
        device.disconnectForcibly(0, 100, false); // no DISCONNECT packet: an abnormal close
        Optional<Mqtt5Publish> will = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(will).isPresent();
        assertThat(text(will.get().getPayloadAsBytes())).isEqualTo("gone");
    }

    /**
     * A client sending WebSocket Pings and reading none of the Pongs: past the write buffer's mark
     * the Pings are dropped, not answered (RFC 6455 5.5.3), instead of a Pong held in memory for
     * each; the connection goes on working.
     */
    @Test
    void pingsOfAClientThatDoesNotReadThePongsAreNotAnsweredWithoutEnd() throws Exception {
        try (DeafClient client = new DeafClient(wsPort())) {
            String upgrade = "GET /mqtt HTTP/1.1\r\nHost: tern\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
            assertThat(client.exchangeHead(upgrade.getBytes(StandardCharsets.US_ASCII))).startsWith("HTTP/1.1 101");
            byte[] ping = {(byte) 0x89, (byte) 0x80, 0, 0, 0, 0}; // masked (with zeros), no payload
            client.sendUntil(ping, () -> broker().counter("tern.limits.hits", "limit", "unread_replies") > 0);
            // MQTT CONNECT (3.1.1, "pinger", keep alive 0) in a masked binary frame: CONNACK after the Pongs sent.
            byte[] connect = {0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00,
                    0x00, 0x06, 'p', 'i', 'n', 'g', 'e', 'r'};
            byte[] frame = new byte[6 + connect.length];
            frame[0] = (byte) 0x82;
            frame[1] = (byte) (0x80 | connect.length);
            System.arraycopy(connect, 0, frame, 6, connect.length);
            client.send(frame);
            client.readPast(new byte[]{(byte) 0x8A, 0x00}, new byte[]{(byte) 0x82, 0x04, 0x20, 0x02, 0x00, 0x00});
        }
    }
}
