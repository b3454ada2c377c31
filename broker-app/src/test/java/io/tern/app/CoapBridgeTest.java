package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The CoAP bridge end to end with Californium's client and MQTT clients on TCP. */
class CoapBridgeTest extends ClientSupport {
    static {
        CoapConfig.register();
        UdpConfig.register();
        DtlsConfig.register();
    }

    private final Configuration clientConfig = Configuration.createStandardWithoutFile();
    private final CoapEndpoint endpoint = CoapEndpoint.builder().setConfiguration(clientConfig).build();

    @Override
    String brokerYaml() {
        return "  coap: { host: 127.0.0.1, port: 0, max_payload_bytes: 4096, max_observers: 3,"
                + " dtls: { enabled: true, port: 0, psk: { sensor-1: s3cret-key } } }\n";
    }

    @AfterEach
    void closeEndpoint() {
        endpoint.destroy();
    }

    private CoapClient coap(String path) {
        CoapClient client = new CoapClient("coap://127.0.0.1:" + broker().server.coapAddress().getPort() + path);
        client.setEndpoint(endpoint);
        client.setTimeout(WAIT.toMillis());
        return client;
    }

    private Mqtt5BlockingClient.Mqtt5Publishes mqttSubscriber(String filter) {
        Mqtt5BlockingClient client = v5("coap-mqtt-" + filter.hashCode());
        client.connect();
        var publishes = client.publishes(MqttGlobalPublishFilter.ALL);
        client.subscribeWith().topicFilter(filter).qos(MqttQos.EXACTLY_ONCE).retainAsPublished(true).send();
        return publishes;
    }

    private static Mqtt5Publish next(Mqtt5BlockingClient.Mqtt5Publishes publishes) throws InterruptedException {
        return publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
    }

    @Test
    void aConfirmablePostReachesMqttSubscribers() throws Exception {
        var publishes = mqttSubscriber("sensors/#");
        CoapResponse response = coap("/mqtt/publish/sensors/room1/temp?qos=1&retain=true")
                .post("21.5", MediaTypeRegistry.TEXT_PLAIN);
        assertThat(response.getCode()).isEqualTo(ResponseCode.CHANGED);
        Mqtt5Publish got = next(publishes);
        assertThat(got.getTopic().toString()).isEqualTo("sensors/room1/temp");
        assertThat(new String(got.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("21.5");
        assertThat(got.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
        assertThat(got.isRetain()).isTrue();
    }

    @Test
    void aNonConfirmablePostWorksToo() throws Exception {
        var publishes = mqttSubscriber("non/t");
        CoapClient client = coap("/mqtt/publish/non/t");
        client.useNONs();
        assertThat(client.post("quiet", MediaTypeRegistry.TEXT_PLAIN).getCode()).isEqualTo(ResponseCode.CHANGED);
        assertThat(new String(next(publishes).getPayloadAsBytes())).isEqualTo("quiet");
    }

    @Test
    void largePayloadsArriveBlockwise() throws Exception {
        var publishes = mqttSubscriber("big/t");
        byte[] payload = new byte[3000]; // over one 1024-byte datagram: block1 transfer
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        assertThat(coap("/mqtt/publish/big/t").post(payload, MediaTypeRegistry.APPLICATION_OCTET_STREAM).getCode())
                .isEqualTo(ResponseCode.CHANGED);
        assertThat(next(publishes).getPayloadAsBytes()).containsExactly(payload);
    }

    @Test
    void anObserverIsNotifiedOfMatchingMessagesFromAnyProtocol() throws Exception {
        BlockingQueue<String> notifications = new LinkedBlockingQueue<>();
        CoapObserveRelation relation = coap("/mqtt/subscribe/alerts/+").observe(new CoapHandler() {
            @Override
            public void onLoad(CoapResponse response) {
                notifications.add(response.getResponseText());
            }

            @Override
            public void onError() {
                notifications.add("ERROR");
            }
        });
        assertThat(notifications.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEmpty(); // registration answer
        await().atMost(WAIT).until(() -> broker().server.coapBridge().observers() == 1
                && broker().meters.find("tern.subscriptions").gauge().value() == 1);
        Mqtt5BlockingClient publisher = v5("coap-observe-pub");
        publisher.connect();
        publisher.publishWith().topic("alerts/fire").payload("smoke".getBytes()).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(notifications.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("smoke");
        publisher.publishWith().topic("other/fire").payload("not for you".getBytes()).send();
        coap("/mqtt/publish/alerts/water").post("leak", MediaTypeRegistry.TEXT_PLAIN);
        assertThat(notifications.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("leak");

        relation.proactiveCancel();
        await().atMost(WAIT).until(() -> broker().server.coapBridge().observers() == 0
                && broker().meters.find("tern.subscriptions").gauge().value() == 0);
    }

    /** RFC 7641 3.6: a client that has forgotten an observation answers a notification with RST. */
    @Test
    void anObserverThatAnswersWithResetIsDropped() throws Exception {
        int port = broker().server.coapAddress().getPort();
        try (DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout((int) WAIT.toMillis());
            java.io.ByteArrayOutputStream register = new java.io.ByteArrayOutputStream();
            register.writeBytes(new byte[]{0x41, 0x01, 0x12, 0x34, 0x7A}); // CON GET, MID 0x1234, token 0x7A
            register.write(0x60); // Observe (6) = register, empty value
            register.write(0x54); // Uri-Path (11): "mqtt"
            register.writeBytes("mqtt".getBytes());
            register.write(0x09);
            register.writeBytes("subscribe".getBytes());
            register.write(0x04);
            register.writeBytes("gone".getBytes());
            byte[] request = register.toByteArray();
            client.send(new DatagramPacket(request, request.length, InetAddress.getLoopbackAddress(), port));
            DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
            client.receive(reply);
            assertThat(reply.getData()[1]).isEqualTo((byte) 0x45); // 2.05 Content
            await().atMost(WAIT).until(() -> broker().server.coapBridge().observers() == 1
                    && broker().meters.find("tern.subscriptions").gauge().value() == 1);

            coap("/mqtt/publish/gone").post("ping", MediaTypeRegistry.TEXT_PLAIN);
            DatagramPacket notification = new DatagramPacket(new byte[1500], 1500);
            client.receive(notification);
            byte[] n = notification.getData();
            assertThat(n[1]).isEqualTo((byte) 0x45);
            byte[] reset = {0x70, 0x00, n[2], n[3]}; // RST echoing the notification's message id
            client.send(new DatagramPacket(reset, reset.length, InetAddress.getLoopbackAddress(), port));
            await().atMost(WAIT).until(() -> broker().server.coapBridge().observers() == 0
                    && broker().meters.find("tern.subscriptions").gauge().value() == 0);
        }
    }

    @Test
    void tooManyObserversGet503() throws Exception {
        for (int i = 0; i < 3; i++) {
            coap("/mqtt/subscribe/many/" + i).observeAndWait(new CoapHandler() {
                @Override
                public void onLoad(CoapResponse response) {
                }

                @Override
                public void onError() {
                }
            });
        }
        await().atMost(WAIT).until(() -> broker().server.coapBridge().observers() == 3);
        // A plain exchange with the Observe option: the answer itself is what matters here.
        org.eclipse.californium.core.coap.Request register = org.eclipse.californium.core.coap.Request.newGet();
        register.setObserve();
        CoapResponse refused = coap("/mqtt/subscribe/many/x").advanced(register);
        assertThat(refused.getCode()).isEqualTo(ResponseCode.SERVICE_UNAVAILABLE);
        assertThat(refused.getOptions().hasObserve()).isFalse(); // no relation was established
        assertThat(broker().server.coapBridge().observers()).isEqualTo(3);
    }

    @Test
    void aGetWithoutObserveReadsTheRetainedMessage() throws Exception {
        coap("/mqtt/publish/state/lamp?retain=true").post("on", MediaTypeRegistry.TEXT_PLAIN);
        CoapResponse found = coap("/mqtt/subscribe/state/lamp").get();
        assertThat(found.getCode()).isEqualTo(ResponseCode.CONTENT);
        assertThat(found.getResponseText()).isEqualTo("on");
        assertThat(coap("/mqtt/subscribe/state/none").get().getCode()).isEqualTo(ResponseCode.NOT_FOUND);
    }

    @Test
    void badRequestsGetTheRightCodeAndADiagnostic() throws Exception {
        CoapResponse wildcard = coap("/mqtt/publish/a/%2B").post("x", MediaTypeRegistry.TEXT_PLAIN);
        assertThat(wildcard.getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(wildcard.getResponseText()).contains("wildcard");
        assertThat(coap("/mqtt/publish/a?qos=5").post("x", MediaTypeRegistry.TEXT_PLAIN).getResponseText())
                .contains("qos");
        assertThat(coap("/mqtt/publish/a?colour=red").post("x", MediaTypeRegistry.TEXT_PLAIN).getCode())
                .isEqualTo(ResponseCode.BAD_REQUEST);
        assertThat(coap("/mqtt/publish").post("x", MediaTypeRegistry.TEXT_PLAIN).getCode())
                .isEqualTo(ResponseCode.BAD_REQUEST); // no topic
        assertThat(coap("/mqtt/publish/big").post(new byte[5000], MediaTypeRegistry.APPLICATION_OCTET_STREAM).getCode())
                .isEqualTo(ResponseCode.REQUEST_ENTITY_TOO_LARGE);
        assertThat(coap("/nowhere").get().getCode()).isEqualTo(ResponseCode.NOT_FOUND);
        assertThat(coap("/mqtt/publish/a").put("x", MediaTypeRegistry.TEXT_PLAIN).getCode())
                .isEqualTo(ResponseCode.METHOD_NOT_ALLOWED);
        assertThat(coap("/mqtt/subscribe/a/%23").get().getCode()).isEqualTo(ResponseCode.BAD_REQUEST);
    }

    @Test
    void malformedDatagramsAreDroppedWithoutDisturbingAnything() throws Exception {
        int port = broker().server.coapAddress().getPort();
        try (DatagramSocket socket = new DatagramSocket()) {
            byte[][] junk = {{}, {(byte) 0xFF}, "GET / HTTP/1.1\r\n\r\n".getBytes(), new byte[1500],
                    {0x40, 0x01, 0x00}, {0x44, 0x02, 0x12, 0x34, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}};
            for (byte[] datagram : junk) {
                socket.send(new DatagramPacket(datagram, datagram.length, InetAddress.getLoopbackAddress(), port));
            }
        }
        CoapResponse health = coap("/health").get();
        assertThat(health.getCode()).isEqualTo(ResponseCode.CONTENT);
        assertThat(health.getResponseText()).isEqualTo("{\"status\":\"UP\"}");
    }

    @Test
    void dtlsWithAPreSharedKey() throws Exception {
        Configuration dtls = Configuration.createStandardWithoutFile();
        dtls.set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.CLIENT_ONLY);
        DTLSConnector connector = new DTLSConnector(DtlsConnectorConfig.builder(dtls)
                .setAdvancedPskStore(new AdvancedSinglePskStore("sensor-1", "s3cret-key".getBytes(StandardCharsets.UTF_8)))
                .build());
        CoapEndpoint secure = CoapEndpoint.builder().setConfiguration(dtls).setConnector(connector).build();
        try {
            var publishes = mqttSubscriber("secure/t");
            CoapClient client = new CoapClient("coaps://127.0.0.1:" + broker().server.coapBridge().dtlsAddress().getPort()
                    + "/mqtt/publish/secure/t");
            client.setEndpoint(secure);
            client.setTimeout(WAIT.toMillis());
            assertThat(client.post("encrypted", MediaTypeRegistry.TEXT_PLAIN).getCode()).isEqualTo(ResponseCode.CHANGED);
            assertThat(new String(next(publishes).getPayloadAsBytes())).isEqualTo("encrypted");
        } finally {
            secure.destroy();
        }
    }
}
