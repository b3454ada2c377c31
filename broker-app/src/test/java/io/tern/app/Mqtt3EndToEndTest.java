package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient.Mqtt3Publishes;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.eclipse.paho.client.mqttv3.IMqttMessageListener;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** MQTT 3.1.1 end to end with the HiveMQ client and Eclipse Paho v3. */
class Mqtt3EndToEndTest extends ClientSupport {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Mqtt3Publish next(Mqtt3Publishes publishes) throws InterruptedException {
        Optional<Mqtt3Publish> publish = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(publish).isPresent();
        return publish.get();
    }

    private Mqtt3BlockingClient connected(String id) {
        Mqtt3BlockingClient client = v3(id);
        client.connect();
        return client;
    }

    private MqttClient paho(String id, boolean cleanSession) throws MqttException {
        MqttClient client = new MqttClient("tcp://127.0.0.1:" + port(), id, new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(cleanSession);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
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
    void qos0to2RoundTrip() throws Exception {
        Mqtt3BlockingClient sub = connected("v3sub");
        Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        var subAck = sub.subscribeWith().topicFilter("v3/#").qos(MqttQos.EXACTLY_ONCE).send();
        assertThat(subAck.getReturnCodes()).containsExactly(Mqtt3SubAckReturnCode.SUCCESS_MAXIMUM_QOS_2);
        Mqtt3BlockingClient pub = connected("v3pub");
        for (MqttQos qos : MqttQos.values()) {
            pub.publishWith().topic("v3/" + qos.getCode()).payload(bytes("p" + qos.getCode())).qos(qos).send();
        }
        for (MqttQos qos : MqttQos.values()) {
            Mqtt3Publish got = next(publishes);
            assertThat(got.getQos()).isEqualTo(qos);
            assertThat(new String(got.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("p" + qos.getCode());
        }
    }

    @Test
    void retainFlagIsSetOnlyForMessagesSentBecauseOfASubscription_MQTT_3_3_1_8_and_9() throws Exception {
        Mqtt3BlockingClient pub = connected("v3rpub");
        pub.publishWith().topic("v3r/t").payload(bytes("stored")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt3BlockingClient sub = connected("v3rsub");
        Mqtt3Publishes publishes = sub.publishes(MqttGlobalPublishFilter.ALL);
        sub.subscribeWith().topicFilter("v3r/#").qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(next(publishes).isRetain()).isTrue();
        pub.publishWith().topic("v3r/t").payload(bytes("live")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(next(publishes).isRetain()).isFalse();
    }

    @Test
    void persistentSessionQueuesWhileOfflineWithPaho() throws Exception {
        MqttClient first = paho("paho-persist", false);
        first.subscribe("pp/#", 1);
        first.disconnect();
        awaitOffline("paho-persist");
        MqttClient pub = paho("paho-pub", true);
        pub.publish("pp/a", bytes("while-away"), 1, false);

        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        MqttClient again = new MqttClient("tcp://127.0.0.1:" + port(), "paho-persist", new MemoryPersistence());
        track(again::close);
        again.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                received.add(topic + "=" + new String(message.getPayload(), StandardCharsets.UTF_8));
            }

            @Override
            public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
            }
        });
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        var token = again.connectWithResult(options);
        assertThat(token.getSessionPresent()).isTrue();
        assertThat(received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("pp/a=while-away");
        again.disconnect();
    }

    @Test
    void emptyClientIdIsAcceptedWithCleanSession_MQTT_3_1_3_6() throws Exception {
        MqttClient anonymous = paho("", true);
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        IMqttMessageListener listener = (topic, message) -> received.add(new String(message.getPayload()));
        anonymous.subscribe("anon/t", 2, listener);
        anonymous.publish("anon/t", bytes("hi"), 2, false);
        assertThat(received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("hi");
    }

    @Test
    void emptyClientIdWithPersistentSessionIsRejected_MQTT_3_1_3_8() {
        MqttException refused = catchThrowableOfType(MqttException.class, () -> paho("", false));
        assertThat(refused.getReasonCode()).isEqualTo(MqttException.REASON_CODE_INVALID_CLIENT_ID);
    }

    @Test
    void willIsPublishedWhenTheConnectionIsLost_MQTT_3_1_2_8() throws Exception {
        Mqtt3BlockingClient watcher = connected("v3watch");
        Mqtt3Publishes publishes = watcher.publishes(MqttGlobalPublishFilter.ALL);
        watcher.subscribeWith().topicFilter("status/+").qos(MqttQos.AT_LEAST_ONCE).send();
        RawClient device = raw(MqttVersion.MQTT_3_1_1);
        device.send(WillClients.connectV3WithWill("device-1", "status/device-1", true));
        assertThat(device.receive(WAIT)).isNotNull();
        device.dropConnection();
        Mqtt3Publish will = next(publishes);
        assertThat(will.getTopic().toString()).isEqualTo("status/device-1");
        assertThat(will.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
        // The will was retained: a later subscriber gets it.
        Mqtt3BlockingClient late = connected("v3late");
        Mqtt3Publishes latePublishes = late.publishes(MqttGlobalPublishFilter.ALL);
        late.subscribeWith().topicFilter("status/#").send();
        assertThat(new String(next(latePublishes).getPayloadAsBytes())).isEqualTo("offline");
    }

    @Test
    void invalidFilterGetsFailureReturnCode() throws Exception {
        RawClient client = rawConnected(MqttVersion.MQTT_3_1_1, "v3bad", true, MqttProperties.NO_PROPERTIES);
        client.send(MqttMessageBuilders.subscribe().messageId(9).addSubscription(MqttQoS.AT_LEAST_ONCE, "ok/+")
                .addSubscription(MqttQoS.AT_LEAST_ONCE, "bad#").build());
        MqttSubAckMessage subAck = (MqttSubAckMessage) client.receive(WAIT);
        assertThat(subAck.payload().reasonCodes()).containsExactly(0x01, 0x80);
    }

    @Test
    void unsubscribeStopsDelivery() throws Exception {
        MqttClient client = paho("paho-unsub", true);
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        client.subscribe("us/t", 1, (topic, message) -> received.add(new String(message.getPayload())));
        client.publish("us/t", bytes("one"), 1, false);
        assertThat(received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("one");
        client.unsubscribe("us/t");
        client.publish("us/t", bytes("two"), 1, false);
        assertThat(received.poll(SHORT.toMillis(), TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void mqtt31ClientsAreServed() throws Exception {
        MqttClient old = new MqttClient("tcp://127.0.0.1:" + port(), "old-timer", new MemoryPersistence());
        track(old::close);
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1);
        old.connect(options);
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        old.subscribe("v31/t", 2, (topic, message) -> received.add(new String(message.getPayload())));
        old.publish("v31/t", bytes("mqisdp"), 2, false);
        assertThat(received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("mqisdp");
        old.disconnect();
        assertThat(List.of(old.isConnected())).containsExactly(false);
    }
}
