package io.tern.bridge.coap;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.testing.Fuzz;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated and random datagrams at a real CoAP bridge: nothing takes it down, and afterwards it
 * still answers health checks and routes a publish into the broker.
 */
class CoapFuzzTest {
    static {
        CoapConfig.register();
        UdpConfig.register();
    }

    private Broker broker;
    private CoapBridge bridge;
    private int port;

    @BeforeEach
    void start() {
        broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(), System::currentTimeMillis);
        bridge = new CoapBridge(new CoapSettings("127.0.0.1", 0, 1024, 50, 30, 100, null), broker, () -> true);
        port = bridge.start().getPort();
    }

    @AfterEach
    void stop() {
        bridge.close();
        broker.close();
    }

    /** A CoAP message [RFC 7252 3]: CON, 2-byte token, the given options (delta-encoded), payload. */
    private static byte[] message(int code, int messageId, int[][] options, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x40 | 2); // version 1, CON, token length 2
        out.write(code);
        out.write(messageId >>> 8);
        out.write(messageId);
        out.write(0x7a);
        out.write(0x5b);
        int previous = 0;
        for (int[] option : options) {
            int number = option[0];
            byte[] value = new byte[option.length - 1];
            for (int i = 1; i < option.length; i++) {
                value[i - 1] = (byte) option[i];
            }
            out.write(((number - previous) << 4) | value.length);
            out.writeBytes(value);
            previous = number;
        }
        if (payload.length > 0) {
            out.write(0xff);
            out.writeBytes(payload);
        }
        return out.toByteArray();
    }

    private static int[] option(int number, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int[] option = new int[bytes.length + 1];
        option[0] = number;
        for (int i = 0; i < bytes.length; i++) {
            option[i + 1] = bytes[i] & 0xff;
        }
        return option;
    }

    @Test
    void mutatedAndRandomDatagramsLeaveTheBridgeServing() throws Exception {
        final int uriPath = 11;
        final int uriQuery = 15;
        final int observe = 6;
        List<byte[]> corpus = List.of(
                message(0x02, 1, new int[][] {option(uriPath, "mqtt"), option(uriPath, "publish"), option(uriPath, "a"),
                        option(uriQuery, "qos=1")}, "21.5".getBytes(StandardCharsets.UTF_8)),
                message(0x01, 2, new int[][] {option(uriPath, "health")}, new byte[0]),
                message(0x01, 3, new int[][] {{observe}, option(uriPath, "mqtt"), option(uriPath, "subscribe"),
                        option(uriPath, "a")}, new byte[0]),
                message(0x02, 4, new int[][] {option(uriPath, "mqtt"), option(uriPath, "publish"), option(uriPath, "b"),
                        {23, 0x06}}, new byte[64]));
        Fuzz fuzz = Fuzz.fromSystemProperties();
        int iterations = Fuzz.iterations(3000);
        try (DatagramSocket socket = new DatagramSocket()) {
            InetAddress local = InetAddress.getLoopbackAddress();
            for (int i = 0; i < iterations; i++) {
                byte[] datagram = fuzz.random().nextInt(5) == 0 ? fuzz.randomBytes(64) : fuzz.mutate(fuzz.pick(corpus));
                socket.send(new DatagramPacket(datagram, datagram.length, local, port));
            }
        }
        Configuration config = Configuration.createStandardWithoutFile();
        CoapEndpoint endpoint = CoapEndpoint.builder().setConfiguration(config).build();
        try {
            CoapClient health = new CoapClient("coap://127.0.0.1:" + port + "/health");
            health.setEndpoint(endpoint);
            health.setTimeout(10_000L);
            assertThat(health.get().getCode()).isEqualTo(ResponseCode.CONTENT);
            CoapClient publish = new CoapClient("coap://127.0.0.1:" + port + "/mqtt/publish/after/fuzz?retain=true");
            publish.setEndpoint(endpoint);
            publish.setTimeout(10_000L);
            assertThat(publish.post("ok", MediaTypeRegistry.TEXT_PLAIN).getCode()).isEqualTo(ResponseCode.CHANGED);
            assertThat(broker.retainedMessage("after/fuzz")).hasValueSatisfying(m ->
                    assertThat(new String(m.payload(), StandardCharsets.UTF_8)).isEqualTo("ok"));
        } finally {
            endpoint.destroy();
        }
    }
}
