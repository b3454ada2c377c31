package io.tern.transport.websocket;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.mqtt.MqttTail;
import io.tern.mqtt.MqttTailSettings;
import io.tern.netty.EventLoops;
import io.tern.testing.Fuzz;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Mutated upgrade requests and mutated WebSocket frames (carrying MQTT) against a real listener:
 * every connection ends without harming the listener, and a well-behaved client is served after.
 */
class WebSocketFuzzTest {
    private static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");
    private static final String UPGRADE = "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Protocol: mqtt\r\nOrigin: https://good.example\r\n\r\n";

    private Broker broker;
    private EventLoops loops;
    private WebSocketListener listener;
    private int port;

    @BeforeEach
    void start() throws Exception {
        broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(), System::currentTimeMillis);
        loops = new EventLoops(1);
        listener = new WebSocketListener(new WebSocketSettings("127.0.0.1", 0, "/mqtt", 1000, 4096, 8192,
                List.of(), List.of(), 2_000), broker, new MqttTail(broker, MqttTailSettings.defaults()), loops);
        port = listener.start().getPort();
    }

    @AfterEach
    void stop() {
        listener.close();
        loops.close();
        broker.close();
    }

    private static byte[] mqtt(MqttMessage... messages) {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.attr(VERSION).set(MqttVersion.MQTT_5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (MqttMessage message : messages) {
            encoder.writeOutbound(message);
            ByteBuf encoded = encoder.readOutbound();
            byte[] bytes = new byte[encoded.readableBytes()];
            encoded.readBytes(bytes);
            encoded.release();
            out.writeBytes(bytes);
        }
        encoder.finishAndReleaseAll();
        return out.toByteArray();
    }

    /** A masked client frame [RFC 6455 5.2]. */
    private static byte[] frame(int opcode, boolean fin, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length);
        }
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        frame.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        return frame.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Sends, half-closes, and reads until the server closes: the server has processed everything. */
    private void exchange(byte[] bytes) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(bytes);
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            byte[] sink = new byte[4096];
            try {
                while (in.read(sink) >= 0) {
                    // drain until the server closes
                }
            } catch (java.net.SocketException reset) {
                // closed with a reset: also an end
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed within 10 s", e);
        }
    }

    @Test
    void mutatedUpgradesAndFramesEndCleanlyAndTheListenerKeepsServing() throws Exception {
        Fuzz fuzz = Fuzz.fromSystemProperties();
        byte[] upgrade = UPGRADE.getBytes(StandardCharsets.US_ASCII);
        byte[] connect = mqtt(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5).clientId("ws-fuzz")
                .cleanSession(true).keepAlive(30).build());
        byte[] session = mqtt(MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, "a/#")
                .build(), MqttMessageBuilders.publish().topicName("a/b").qos(MqttQoS.AT_LEAST_ONCE).messageId(2)
                .payload(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1, 2, 3})).build());
        List<byte[]> frames = List.of(
                concat(frame(2, true, connect), frame(2, true, session)),
                concat(frame(2, false, java.util.Arrays.copyOf(connect, 5)),
                        frame(0, true, java.util.Arrays.copyOfRange(connect, 5, connect.length))),
                concat(frame(2, true, concat(connect, session)), frame(9, true, new byte[] {1}), frame(8, true, new byte[] {3, (byte) 0xe8})),
                frame(1, true, "text".getBytes(StandardCharsets.UTF_8)));
        int iterations = Fuzz.iterations(400);
        for (int i = 0; i < iterations; i++) {
            byte[] input = fuzz.random().nextInt(4) == 0 ? fuzz.mutate(concat(upgrade, fuzz.pick(frames)))
                    : concat(upgrade, fuzz.mutate(fuzz.pick(frames)));
            try {
                exchange(input);
            } catch (Exception | AssertionError e) {
                throw new AssertionError("seed " + fuzz.seed() + " iteration " + i, e);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.openConnections() == 0);

        RawWebSocket ws = RawWebSocket.open(port, "/mqtt", true, Map.of("Sec-WebSocket-Protocol", "mqtt"));
        try {
            assertThat(ws.status).isEqualTo(101);
            ws.send(RawWebSocket.BINARY, true, connect);
            RawWebSocket.Frame connAck = ws.receive();
            assertThat(connAck).isNotNull();
            assertThat(connAck.payload()[0]).isEqualTo((byte) 0x20);
        } finally {
            ws.close();
        }
    }

    @Test
    void randomBytesAfterTheUpgradeEndCleanly() throws Exception {
        Fuzz fuzz = Fuzz.fromSystemProperties();
        byte[] upgrade = UPGRADE.getBytes(StandardCharsets.US_ASCII);
        List<Throwable> failures = new ArrayList<>();
        int iterations = Fuzz.iterations(200);
        for (int i = 0; i < iterations; i++) {
            try {
                exchange(concat(upgrade, fuzz.randomBytes(300)));
            } catch (Exception | AssertionError e) {
                failures.add(e);
            }
        }
        assertThat(failures).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> listener.openConnections() == 0);
    }
}
