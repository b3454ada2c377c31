package io.tern.app;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * A minimal MQTT client over a plain socket, using Netty's codec only to build and parse bytes.
 * For what real client libraries will not do on purpose: withhold acknowledgements, vanish
 * without DISCONNECT, send packets in the wrong order.
 */
final class RawClient implements AutoCloseable {
    private static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
    private final EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder(16 << 20));
    private final ArrayDeque<MqttMessage> received = new ArrayDeque<>();

    RawClient(int port, MqttVersion version) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        encoder.attr(VERSION).set(version);
        decoder.attr(VERSION).set(version);
    }

    void send(MqttMessage message) throws IOException {
        encoder.writeOutbound(message);
        ByteBuf encoded = encoder.readOutbound();
        byte[] bytes = new byte[encoded.readableBytes()];
        encoded.readBytes(bytes);
        encoded.release();
        out.write(bytes);
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next packet from the server, or null if none arrives in time or the socket closed. */
    MqttMessage receive(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[8192];
        while (received.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException e) {
                return null;
            }
            if (n < 0) {
                return null;
            }
            decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, n));
            Object decoded;
            while ((decoded = decoder.readInbound()) != null) {
                received.add((MqttMessage) decoded);
            }
        }
        return received.poll();
    }

    /** True once the server has closed the connection (read returns end of stream). */
    boolean closedByServer(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[1024];
        while (System.nanoTime() < deadline) {
            socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true; // reset by peer
            }
        }
        return false;
    }

    /** Drops the TCP connection without DISCONNECT: an abnormal close for the broker. */
    void dropConnection() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }
}
