package io.tern.transport.websocket;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Authorizer;
import io.tern.core.auth.Credentials;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.mqtt.MqttTail;
import io.tern.mqtt.MqttTailSettings;
import io.tern.netty.EventLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The WebSocket listener with hand-made frames: framing rules, upgrade answers, proxies. */
class WebSocketListenerTest {
    private static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");

    private final List<Credentials> seen = new CopyOnWriteArrayList<>();
    private final List<RawWebSocket> sockets = new ArrayList<>();
    private Broker broker;
    private EventLoops loops;
    private WebSocketListener listener;
    private int port;

    @BeforeEach
    void start() throws Exception {
        broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                credentials -> {
                    seen.add(credentials);
                    return CompletableFuture.completedFuture(new AuthenticationOutcome.Allowed(null));
                },
                Authorizer.allowAll(), new SimpleMeterRegistry(), System::currentTimeMillis);
        loops = new EventLoops(1);
        listener = new WebSocketListener(new WebSocketSettings("127.0.0.1", 0, "/mqtt", 100, 4096, 8192,
                List.of("https://good.example"), List.of("127.0.0.1"), 10_000),
                broker, new MqttTail(broker, MqttTailSettings.defaults()), loops);
        port = listener.start().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawWebSocket socket : sockets) {
            socket.close();
        }
        listener.close();
        loops.close();
        broker.close();
    }

    private RawWebSocket open(String path, boolean upgrade, Map<String, String> headers) throws Exception {
        RawWebSocket socket = RawWebSocket.open(port, path, upgrade, headers);
        sockets.add(socket);
        return socket;
    }

    private RawWebSocket upgraded() throws Exception {
        RawWebSocket ws = open("/mqtt", true, Map.of("Sec-WebSocket-Protocol", "mqtt"));
        assertThat(ws.status).isEqualTo(101);
        return ws;
    }

    private static byte[] encode(MqttMessage... messages) {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.attr(VERSION).set(MqttVersion.MQTT_3_1_1);
        ByteBuf all = Unpooled.buffer();
        for (MqttMessage message : messages) {
            encoder.writeOutbound(message);
            ByteBuf encoded = encoder.readOutbound();
            all.writeBytes(encoded);
            encoded.release();
        }
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        return bytes;
    }

    private static MqttMessage connect(String clientId) {
        return MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId(clientId)
                .cleanSession(true).keepAlive(60).build();
    }

    /** MQTT packets carried by the server's binary frames, until {@code count} are read. */
    private static List<MqttMessage> receivePackets(RawWebSocket ws, int count) throws Exception {
        EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder());
        List<MqttMessage> packets = new ArrayList<>();
        while (packets.size() < count) {
            RawWebSocket.Frame frame = ws.receive();
            assertThat(frame).as("a frame after %d packets", packets.size()).isNotNull();
            assertThat(frame.opcode()).isEqualTo(RawWebSocket.BINARY);
            decoder.writeInbound(Unpooled.wrappedBuffer(frame.payload()));
            Object packet;
            while ((packet = decoder.readInbound()) != null) {
                packets.add((MqttMessage) packet);
            }
        }
        return packets;
    }

    @Test
    void negotiatesTheMqttSubProtocols_MQTT_6_0_0_3() throws Exception {
        assertThat(upgraded().headers.get("sec-websocket-protocol")).isEqualTo("mqtt");
        RawWebSocket v31 = open("/mqtt", true, Map.of("Sec-WebSocket-Protocol", "mqttv3.1"));
        assertThat(v31.headers.get("sec-websocket-protocol")).isEqualTo("mqttv3.1");
    }

    @Test
    void aPacketSplitOverThreeFramesIsReassembled_MQTT_6_0_0_2() throws Exception {
        RawWebSocket ws = upgraded();
        byte[] connect = encode(connect("split"));
        int third = connect.length / 3;
        ws.send(RawWebSocket.BINARY, true, Arrays.copyOfRange(connect, 0, third));
        ws.send(RawWebSocket.BINARY, true, Arrays.copyOfRange(connect, third, 2 * third));
        ws.send(RawWebSocket.BINARY, true, Arrays.copyOfRange(connect, 2 * third, connect.length));
        assertThat(receivePackets(ws, 1).get(0).fixedHeader().messageType()).isEqualTo(MqttMessageType.CONNACK);
    }

    @Test
    void aPacketInAFragmentedMessageIsReassembled() throws Exception {
        RawWebSocket ws = upgraded();
        byte[] connect = encode(connect("fragments"));
        ws.send(RawWebSocket.BINARY, false, Arrays.copyOfRange(connect, 0, 5));
        ws.send(RawWebSocket.CONTINUATION, false, Arrays.copyOfRange(connect, 5, 10));
        ws.send(RawWebSocket.CONTINUATION, true, Arrays.copyOfRange(connect, 10, connect.length));
        assertThat(receivePackets(ws, 1).get(0).fixedHeader().messageType()).isEqualTo(MqttMessageType.CONNACK);
    }

    @Test
    void threePacketsInOneFrameAreAllHandled_MQTT_6_0_0_2() throws Exception {
        RawWebSocket ws = upgraded();
        ws.send(RawWebSocket.BINARY, true, encode(connect("three"),
                MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.AT_LEAST_ONCE, "t/#").build(),
                new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0))));
        assertThat(receivePackets(ws, 3)).extracting(m -> m.fixedHeader().messageType())
                .containsExactly(MqttMessageType.CONNACK, MqttMessageType.SUBACK, MqttMessageType.PINGRESP);
    }

    @Test
    void aTextFrameClosesTheConnection_MQTT_6_0_0_1() throws Exception {
        RawWebSocket ws = upgraded();
        ws.send(RawWebSocket.TEXT, true, "CONNECT please".getBytes());
        RawWebSocket.Frame close = ws.receive();
        assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
        assertThat(close.closeStatus()).isEqualTo(1003);
        assertThat(ws.closedByServer()).isTrue();
    }

    @Test
    void anOversizeFrameClosesTheConnectionAndOthersCarryOn() throws Exception {
        RawWebSocket bystander = upgraded();
        bystander.send(RawWebSocket.BINARY, true, encode(connect("bystander")));
        receivePackets(bystander, 1);
        RawWebSocket ws = upgraded();
        ws.send(RawWebSocket.BINARY, true, new byte[5000]); // limit 4096
        RawWebSocket.Frame close = ws.receive();
        assertThat(close == null || close.closeStatus() == 1009).isTrue();
        assertThat(ws.closedByServer()).isTrue();
        bystander.send(RawWebSocket.BINARY, true, encode(
                new MqttMessage(new MqttFixedHeader(MqttMessageType.PINGREQ, false, MqttQoS.AT_MOST_ONCE, false, 0))));
        assertThat(receivePackets(bystander, 1).get(0).fixedHeader().messageType()).isEqualTo(MqttMessageType.PINGRESP);
    }

    @Test
    void pingsAreAnsweredAndCloseIsHandshaken() throws Exception {
        RawWebSocket ws = upgraded();
        ws.send(RawWebSocket.PING, true, "hi".getBytes());
        RawWebSocket.Frame pong = ws.receive();
        assertThat(pong.opcode()).isEqualTo(RawWebSocket.PONG);
        assertThat(pong.payload()).containsExactly("hi".getBytes());
        ws.send(RawWebSocket.CLOSE, true, new byte[]{0x03, (byte) 0xE8});
        RawWebSocket.Frame close = ws.receive();
        assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
        assertThat(ws.closedByServer()).isTrue();
    }

    @Test
    void theServerSendsACloseFrameWhenMqttEndsTheConnection() throws Exception {
        RawWebSocket ws = upgraded();
        ws.send(RawWebSocket.BINARY, true, encode(connect("leaving"),
                MqttMessageBuilders.disconnect().build()));
        receivePackets(ws, 1); // CONNACK
        RawWebSocket.Frame close = ws.receive();
        assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
        assertThat(close.closeStatus()).isEqualTo(1000);
    }

    @Test
    void otherPathsPlainHttpAndForeignOriginsAreRefused() throws Exception {
        assertThat(open("/other", true, Map.of()).status).isEqualTo(404);
        RawWebSocket plain = open("/mqtt", false, Map.of());
        assertThat(plain.status).isEqualTo(426);
        assertThat(plain.headers.get("upgrade")).isEqualTo("websocket");
        assertThat(open("/mqtt", true, Map.of("Origin", "https://evil.example")).status).isEqualTo(403);
        assertThat(open("/mqtt", true, Map.of("Origin", "https://good.example")).status).isEqualTo(101);
    }

    @Test
    void forwardedAddressIsBelievedOnlyFromTrustedProxies() throws Exception {
        RawWebSocket proxied = open("/mqtt", true, Map.of("X-Forwarded-For", "203.0.113.9, 10.0.0.1"));
        proxied.send(RawWebSocket.BINARY, true, encode(connect("behind-proxy")));
        receivePackets(proxied, 1);
        await().until(() -> !seen.isEmpty());
        assertThat(seen.get(0).remoteAddress()).isEqualTo("203.0.113.9");
    }

    @Test
    void anUntrustedPeerCannotSpoofItsAddress() throws Exception {
        listener.close();
        listener = new WebSocketListener(new WebSocketSettings("127.0.0.1", 0, "/mqtt", 100, 4096, 8192,
                List.of(), List.of("192.0.2.1"), 10_000), broker, new MqttTail(broker, MqttTailSettings.defaults()), loops);
        port = listener.start().getPort();
        RawWebSocket spoofing = open("/mqtt", true, Map.of("X-Real-IP", "203.0.113.9"));
        spoofing.send(RawWebSocket.BINARY, true, encode(connect("spoofer")));
        receivePackets(spoofing, 1);
        await().until(() -> !seen.isEmpty());
        assertThat(seen.get(0).remoteAddress()).startsWith("127.0.0.1:");
    }
}
