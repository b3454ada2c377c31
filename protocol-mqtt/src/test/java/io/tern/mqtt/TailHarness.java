package io.tern.mqtt;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.session.OfflineExecutors;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The MQTT tail on an {@link EmbeddedChannel} with a real broker whose offline work runs on the
 * test thread, so every step is deterministic. Client packets are encoded by Netty's encoder (or
 * given as raw bytes); server packets are decoded by Netty's decoder.
 */
final class TailHarness implements AutoCloseable {
    static final AttributeKey<MqttVersion> VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");

    final Broker broker;
    final MqttTail tail;

    TailHarness(MqttTailSettings settings, BrokerSettings brokerSettings, Authenticator authenticator) {
        this(settings, brokerSettings, authenticator, io.tern.core.storage.MessageLog.NONE);
    }

    /** With a message log of the test's making (a failing one, for instance). */
    TailHarness(MqttTailSettings settings, BrokerSettings brokerSettings, Authenticator authenticator,
                io.tern.core.storage.MessageLog log) {
        this(settings, brokerSettings, authenticator, log, new InMemorySessionStore());
    }

    /** With a session store of the test's making (one that counts its calls, for instance). */
    TailHarness(io.tern.core.storage.SessionStore sessions) {
        this(MqttTailSettings.defaults(), BrokerSettings.defaults(), Authenticator.allowAll(),
                io.tern.core.storage.MessageLog.NONE, sessions);
    }

    private TailHarness(MqttTailSettings settings, BrokerSettings brokerSettings, Authenticator authenticator,
                        io.tern.core.storage.MessageLog log, io.tern.core.storage.SessionStore sessions) {
        broker = new Broker(brokerSettings, new InMemoryRetainedStore(), sessions, log,
                authenticator, Authorizer.allowAll(), new SimpleMeterRegistry(), System::currentTimeMillis,
                OfflineExecutors.callerRuns());
        tail = new MqttTail(broker, settings);
    }

    TailHarness(MqttTailSettings settings) {
        this(settings, BrokerSettings.defaults(), Authenticator.allowAll());
    }

    TailHarness() {
        this(MqttTailSettings.defaults());
    }

    Connection connect(MqttVersion version) {
        return new Connection(version);
    }

    @Override
    public void close() {
        broker.close();
    }

    final class Connection {
        final EmbeddedChannel server;
        private final EmbeddedChannel clientEncoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        private final EmbeddedChannel clientDecoder = new EmbeddedChannel(new MqttDecoder(1 << 20));

        Connection(MqttVersion version) {
            server = new EmbeddedChannel(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel channel) {
                    tail.install(channel.pipeline(), "test");
                }
            });
            clientEncoder.attr(VERSION).set(version);
            clientDecoder.attr(VERSION).set(version);
        }

        /** Sends packets as one read, then lets the session tasks run. */
        Connection send(MqttMessage... messages) {
            return sendBytes(encode(messages));
        }

        /** Packets as the client would put them on the wire, for a test that feeds a read itself. */
        ByteBuf encode(MqttMessage... messages) {
            ByteBuf all = Unpooled.buffer();
            for (MqttMessage message : messages) {
                clientEncoder.writeOutbound(message);
                ByteBuf encoded = clientEncoder.readOutbound();
                all.writeBytes(encoded);
                encoded.release();
            }
            return all;
        }

        Connection sendRaw(int... bytes) {
            ByteBuf buf = Unpooled.buffer(bytes.length);
            for (int b : bytes) {
                buf.writeByte(b);
            }
            return sendBytes(buf);
        }

        private Connection sendBytes(ByteBuf buf) {
            server.pipeline().fireChannelRead(buf); // like a socket read; writeInbound would throw once closed
            server.pipeline().fireChannelReadComplete();
            settle();
            return this;
        }

        /** Runs queued session work (attach, deliveries) until nothing is left. */
        void settle() {
            for (int i = 0; i < 10; i++) {
                server.runPendingTasks();
                if (server.isOpen()) {
                    server.flushOutbound();
                }
            }
        }

        /** Everything the server wrote, decoded. */
        List<MqttMessage> received() {
            settle();
            List<MqttMessage> messages = new ArrayList<>();
            Object out;
            while ((out = server.readOutbound()) != null) {
                clientDecoder.writeInbound(out);
                Object decoded;
                while ((decoded = clientDecoder.readInbound()) != null) {
                    messages.add((MqttMessage) decoded);
                }
            }
            return messages;
        }

        /** The raw bytes the server wrote. */
        byte[] receivedBytes() {
            settle();
            ByteBuf all = Unpooled.buffer();
            Object out;
            while ((out = server.readOutbound()) != null) {
                all.writeBytes((ByteBuf) out);
                ReferenceCountUtil.release(out);
            }
            byte[] bytes = new byte[all.readableBytes()];
            all.readBytes(bytes);
            return bytes;
        }

        boolean isOpen() {
            settle();
            return server.isOpen();
        }
    }
}
