package io.tern.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.mqtt.MqttTail;
import io.tern.mqtt.MqttTailSettings;
import io.tern.netty.EventLoops;
import io.tern.transport.tcp.TcpListener;
import io.tern.transport.tcp.TcpSettings;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs publishes through the MQTT path before the real listeners open, so the JIT has compiled
 * it when the first clients arrive. Cold, the first seconds of traffic run interpreted while the
 * compiler threads compete with the event loop: on a broker pinned to one core, p99 latency at
 * 1,000 msg/s was 3.6-4.8 ms in the first 10 s, against 0.8 ms warm.
 *
 * <p>Real sockets on loopback, on the broker's own event loops, so the epoll read and write paths
 * are compiled as well, against a broker of its own (in memory, own metrics): the compiled code
 * is shared with the real broker, the state is not. v3.1.1 and v5 clients, QoS 0, 1 and 2 both
 * ways. Bounded in time; a failure only means a cold start.
 */
final class WarmUp {
    private static final String TOPIC = "tern/warm-up/";
    /** Messages in flight at once: below any Receive Maximum the tail could be configured with. */
    private static final int BATCH = 8;
    private static final long MAX_MILLIS = 10_000;

    private WarmUp() {
    }

    record Result(long messages, long millis) {
    }

    static Result run(MqttTailSettings tailSettings, BrokerSettings brokerSettings, EventLoops loops, int messages)
            throws InterruptedException {
        long start = System.nanoTime();
        if (messages <= 0) {
            return new Result(0, 0);
        }
        Broker broker = new Broker(brokerSettings, new InMemoryRetainedStore(), new InMemorySessionStore(),
                Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(), System::currentTimeMillis);
        List<Channel> channels = new ArrayList<>();
        long sent = 0;
        try (TcpListener listener = new TcpListener(new TcpSettings("127.0.0.1", 0, 16), broker,
                new MqttTail(broker, tailSettings), loops)) {
            InetSocketAddress address = listener.start();
            Semaphore received = new Semaphore(0);
            // Wildcard and exact filters, every QoS downgrade: branches real traffic will take, so
            // it does not throw away code compiled without them.
            Channel wildcard3 = connect(loops, address, "warm-up-subscriber-a", MqttVersion.MQTT_3_1_1, received, channels);
            Channel wildcard5 = connect(loops, address, "warm-up-subscriber-b", MqttVersion.MQTT_5, received, channels);
            Channel exact3 = connect(loops, address, "warm-up-subscriber-c", MqttVersion.MQTT_3_1_1, received, channels);
            Channel exact5 = connect(loops, address, "warm-up-subscriber-d", MqttVersion.MQTT_5, received, channels);
            Channel publisher3 = connect(loops, address, "warm-up-publisher-3", MqttVersion.MQTT_3_1_1, null, channels);
            Channel publisher5 = connect(loops, address, "warm-up-publisher-5", MqttVersion.MQTT_5, null, channels);
            subscribe(wildcard3, TOPIC + "+", MqttQoS.EXACTLY_ONCE);
            subscribe(wildcard5, TOPIC + "#", MqttQoS.AT_LEAST_ONCE);
            subscribe(exact3, TOPIC + "1", MqttQoS.AT_MOST_ONCE);
            subscribe(exact5, TOPIC + "2", MqttQoS.EXACTLY_ONCE);
            ByteBuf payload = Unpooled.directBuffer(64).writeZero(64);
            try {
                int packetId = 0;
                while (sent < messages && (System.nanoTime() - start) / 1_000_000 < MAX_MILLIS) {
                    Channel publisher = (sent / BATCH & 1) == 0 ? publisher3 : publisher5;
                    int deliveries = 0;
                    for (int i = 0; i < BATCH; i++, sent++) {
                        int topic = (int) (sent & 7);
                        deliveries += topic == 1 || topic == 2 ? 3 : 2; // both wildcards, and one exact
                        int qos = sent % 10 == 9 ? 2 : (int) (sent % 2); // mostly 0 and 1; some 2
                        packetId = packetId == 65_535 ? 1 : packetId + 1;
                        publisher.write(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, false,
                                MqttQoS.valueOf(qos), false, 0),
                                new MqttPublishVariableHeader(TOPIC + topic, qos == 0 ? 0 : packetId),
                                payload.retainedDuplicate()));
                    }
                    publisher.flush();
                    if (!received.tryAcquire(deliveries, 5, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("warm-up messages not delivered in 5 s");
                    }
                }
            } finally {
                payload.release();
            }
        } finally {
            for (Channel channel : channels) {
                channel.close().awaitUninterruptibly(1_000);
            }
            broker.close();
        }
        return new Result(sent, (System.nanoTime() - start) / 1_000_000);
    }

    private static Channel connect(EventLoops loops, InetSocketAddress address, String clientId, MqttVersion version,
                                   Semaphore received, List<Channel> channels) throws InterruptedException {
        Client client = new Client(received);
        Channel channel = new Bootstrap().group(loops.workers()).channel(loops.clientChannelType())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new MqttDecoder(1 << 20), MqttEncoder.INSTANCE, client);
                    }
                })
                .connect(address).sync().channel();
        channels.add(channel);
        channel.writeAndFlush(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId)
                .cleanSession(true).keepAlive(60).build());
        await(client.connAck, "CONNACK");
        return channel;
    }

    private static void subscribe(Channel subscriber, String filter, MqttQoS qos) throws InterruptedException {
        Client client = subscriber.pipeline().get(Client.class);
        subscriber.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1).addSubscription(qos, filter).build());
        await(client.subAck, "SUBACK");
    }

    private static void await(CompletableFuture<Void> future, String what) throws InterruptedException {
        try {
            future.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("warm-up: no " + what + " in 5 s", e);
        }
    }

    /** Answers the broker as a client would; counts the PUBLISH packets a subscriber receives. */
    private static final class Client extends SimpleChannelInboundHandler<MqttMessage> {
        final CompletableFuture<Void> connAck = new CompletableFuture<>();
        final CompletableFuture<Void> subAck = new CompletableFuture<>();
        private final Semaphore received;

        Client(Semaphore received) {
            this.received = received;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, MqttMessage message) {
            switch (message.fixedHeader().messageType()) {
                case CONNACK -> connAck.complete(null);
                case SUBACK -> subAck.complete(null);
                case PUBLISH -> {
                    MqttPublishMessage publish = (MqttPublishMessage) message;
                    int qos = publish.fixedHeader().qosLevel().value();
                    if (qos > 0) {
                        ctx.writeAndFlush(ack(qos == 1 ? MqttMessageType.PUBACK : MqttMessageType.PUBREC,
                                publish.variableHeader().packetId()));
                    }
                    if (received != null) {
                        received.release();
                    }
                }
                case PUBREC -> ctx.writeAndFlush(ack(MqttMessageType.PUBREL, idOf(message)));
                case PUBREL -> ctx.writeAndFlush(ack(MqttMessageType.PUBCOMP, idOf(message)));
                default -> {
                }
            }
        }

        private static int idOf(MqttMessage message) {
            return ((MqttMessageIdVariableHeader) message.variableHeader()).messageId();
        }

        private static MqttMessage ack(MqttMessageType type, int packetId) {
            MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
            return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0), MqttMessageIdVariableHeader.from(packetId));
        }
    }
}
