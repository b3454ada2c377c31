package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.junit.jupiter.api.AfterEach;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Per-test broker and clients, all closed after each test. */
abstract class ClientSupport {
    static final Duration WAIT = Duration.ofSeconds(5);
    static final Duration SHORT = Duration.ofMillis(300);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestBroker broker;

    TestBroker broker() {
        if (broker == null) {
            broker = TestBroker.withExtra(brokerYaml());
        }
        return broker;
    }

    /** Extra YAML for the test broker (after the tcp listener). */
    String brokerYaml() {
        return "";
    }

    int port() {
        return broker().port();
    }

    Mqtt5BlockingClient v5(String clientId) {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(port()).buildBlocking();
        resources.add(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    Mqtt3BlockingClient v3(String clientId) {
        Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier(clientId)
                .serverHost("127.0.0.1").serverPort(port()).buildBlocking();
        resources.add(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    RawClient raw(MqttVersion version) throws Exception {
        RawClient client = new RawClient(port(), version);
        resources.add(client);
        return client;
    }

    /** A raw client that has connected and read its CONNACK. */
    RawClient rawConnected(MqttVersion version, String clientId, boolean cleanStart, MqttProperties properties)
            throws Exception {
        RawClient client = raw(version);
        client.send(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId).cleanSession(cleanStart)
                .keepAlive(60).properties(properties).build());
        MqttMessage connAck = client.receive(WAIT);
        org.assertj.core.api.Assertions.assertThat(connAck).isNotNull();
        return client;
    }

    /** Client disconnects return before the broker has seen the close; wait until it has. */
    void awaitOffline(String clientId) {
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> {
            var session = broker().server.broker().session(clientId);
            return session == null || !session.isOnline();
        });
    }

    <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // the test may already have closed it
            }
        }
        if (broker != null) {
            broker.close();
        }
    }
}
