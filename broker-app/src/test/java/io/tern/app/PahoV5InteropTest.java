package io.tern.app;

import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Eclipse Paho v5 as a second opinion on the MQTT 5 behaviour. */
class PahoV5InteropTest extends ClientSupport {

    private final BlockingQueue<MqttMessage> messages = new LinkedBlockingQueue<>();
    private final BlockingQueue<Integer> disconnects = new LinkedBlockingQueue<>();

    private MqttClient client(String id, boolean cleanStart, Long sessionExpiry) throws MqttException {
        MqttClient client = new MqttClient("tcp://127.0.0.1:" + port(), id, new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
                disconnects.add(response.getReturnCode());
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                messages.add(message);
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(cleanStart);
        options.setSessionExpiryInterval(sessionExpiry);
        client.connect(options);
        track(() -> {
            if (client.isConnected()) {
                client.disconnect();
            }
            client.close();
        });
        return client;
    }

    @Test
    void publishSubscribeWithPropertiesAtQos2() throws Exception {
        MqttClient client = client("paho5", true, null);
        client.subscribe("p5/#", 2);
        MqttMessage message = new MqttMessage("payload".getBytes(StandardCharsets.UTF_8), 2, false, null);
        MqttProperties properties = new MqttProperties();
        properties.setUserProperties(List.of(new UserProperty("k", "v")));
        properties.setContentType("text/plain");
        message.setProperties(properties);
        client.publish("p5/t", message);
        MqttMessage got = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(got).isNotNull();
        assertThat(got.getQos()).isEqualTo(2);
        assertThat(new String(got.getPayload(), StandardCharsets.UTF_8)).isEqualTo("payload");
        assertThat(got.getProperties().getContentType()).isEqualTo("text/plain");
        assertThat(got.getProperties().getUserProperties()).containsExactly(new UserProperty("k", "v"));
    }

    @Test
    void sessionPresentOnResume() throws Exception {
        MqttClient first = client("paho5-persist", true, 60L);
        first.subscribe("p5p/t", 1);
        first.disconnect();
        first.close();
        awaitOffline("paho5-persist");
        MqttClient again = new MqttClient("tcp://127.0.0.1:" + port(), "paho5-persist", new MemoryPersistence());
        track(again::close);
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(false);
        options.setSessionExpiryInterval(60L);
        IMqttToken token = again.connectWithResult(options);
        assertThat(token.getSessionPresent()).isTrue();
        again.disconnect();
    }

    @Test
    void serverShutdownSendsDisconnect8B() throws Exception {
        client("paho5-shutdown", true, null);
        broker().server.close();
        Integer reason = disconnects.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(reason).isEqualTo(0x8B);
    }
}
