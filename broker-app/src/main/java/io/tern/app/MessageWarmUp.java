package io.tern.app;

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
import io.tern.netty.EventLoops;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The message part of the warm-up: four subscribers (v3.1.1 and v5, exact and wildcard filters,
 * every QoS downgrade) and two publishers, in batches, then one message at a time. Now and then a
 * wildcard subscriber is replaced by a new session, as real subscribers come and go.
 */
final class MessageWarmUp implements AutoCloseable {
    private static final String TOPIC = "tern/warm-up/";
    /** Messages in flight at once: below any Receive Maximum the tail could be configured with. */
    private static final int BATCH = 8;
    /** Batches (or paced messages) between two renewals of a subscriber. */
    private static final int RENEW_EVERY = 64;
    /** Batches (or paced messages) between two looks at the JIT's backlog ({@link JitBacklog}). */
    private static final int PACE_EVERY = 16;

    private final List<Channel> channels = new ArrayList<>();
    private final Semaphore received = new Semaphore(0);
    private final EventLoops loops;
    private final InetSocketAddress address;
    private final LongConsumer alongside;
    private long alongsideRounds;
    private final Channel publisher3;
    private final Channel publisher5;
    /** The wildcard subscribers, replaced by fresh sessions now and then ({@link #renewSubscriber}). */
    private Channel wildcard3;
    private Channel wildcard5;
    private final ByteBuf payload = Unpooled.directBuffer(64).writeZero(64);
    /** Publishes QoS 0 packets split across batches, and nothing else ({@link #publish}). */
    private final Channel splitter;
    private int packetId;
    private long sent;
    /** The rest of the splitter's last packet, written first in the next batch, and its deliveries. */
    private byte[] splitRest;
    private int splitRestDeliveries;

    /**
     * {@code alongside} runs every {@link #PACE_EVERY} batches (or paced messages), from this
     * thread, between two of them, with its round: 0, 1, 2...
     */
    MessageWarmUp(EventLoops loops, InetSocketAddress address, LongConsumer alongside) throws InterruptedException {
        this.loops = loops;
        this.address = address;
        this.alongside = alongside;
        // Wildcard and exact filters, every QoS downgrade: branches real traffic will take, so
        // it does not throw away code compiled without them.
        wildcard3 = connect(loops, address, "warm-up-subscriber-a", MqttVersion.MQTT_3_1_1, received);
        wildcard5 = connect(loops, address, "warm-up-subscriber-b", MqttVersion.MQTT_5, received);
        Channel exact3 = connect(loops, address, "warm-up-subscriber-c", MqttVersion.MQTT_3_1_1, received);
        Channel exact5 = connect(loops, address, "warm-up-subscriber-d", MqttVersion.MQTT_5, received);
        publisher3 = connect(loops, address, "warm-up-publisher-3", MqttVersion.MQTT_3_1_1, null);
        publisher5 = connect(loops, address, "warm-up-publisher-5", MqttVersion.MQTT_5, null);
        splitter = connect(loops, address, "warm-up-publisher-split", MqttVersion.MQTT_3_1_1, null);
        subscribe(wildcard3, TOPIC + "+", MqttQoS.EXACTLY_ONCE);
        subscribe(wildcard5, TOPIC + "#", MqttQoS.AT_LEAST_ONCE);
        subscribe(exact3, TOPIC + "1", MqttQoS.AT_MOST_ONCE);
        subscribe(exact5, TOPIC + "2", MqttQoS.EXACTLY_ONCE);
    }

    /** Messages published and delivered so far. */
    long sent() {
        return sent;
    }

    /** {@code count} messages in batches of {@link #BATCH}, each batch awaited. */
    void batches(long count, long deadlineNanos) throws InterruptedException {
        publishAll(count, BATCH, deadlineNanos);
    }

    /**
     * {@code count} messages one at a time, each awaited: between them the event loop goes idle
     * and wakes up, the path of a broker at a moderate rate.
     */
    void paced(long count, long deadlineNanos) throws InterruptedException {
        publishAll(count, 1, deadlineNanos);
    }

    private void publishAll(long count, int batch, long deadlineNanos) throws InterruptedException {
        long end = sent + count;
        long published = 0;
        while (sent < end && System.nanoTime() < deadlineNanos) {
            publish((int) Math.min(batch, end - sent));
            if (++published % PACE_EVERY == 0) {
                alongside.accept(alongsideRounds++);
                JitBacklog.pace(deadlineNanos);
            }
            if (published % RENEW_EVERY == 0) {
                renewSubscriber(published / RENEW_EVERY % 2 == 0);
            }
        }
    }

    /**
     * Replaces a wildcard subscriber by a new client with a new session, between two batches (no
     * delivery is under way). Real subscribers arrive all the time; with the same four sessions
     * for the whole warm-up, the compiled delivery path had never seen a session's first QoS 1
     * delivery, and the first real subscriber's threw it away ({@code Outbox.writableInflight},
     * seen with -XX:+LogCompilation), as did the first close awaited from another thread.
     */
    private void renewSubscriber(boolean v5) throws InterruptedException {
        Channel old = v5 ? wildcard5 : wildcard3;
        old.close().awaitUninterruptibly(1_000);
        channels.remove(old);
        Channel renewed = connect(loops, address, v5 ? "warm-up-subscriber-b" : "warm-up-subscriber-a",
                v5 ? MqttVersion.MQTT_5 : MqttVersion.MQTT_3_1_1, received);
        subscribe(renewed, v5 ? TOPIC + "#" : TOPIC + "+", v5 ? MqttQoS.AT_LEAST_ONCE : MqttQoS.EXACTLY_ONCE);
        if (v5) {
            wildcard5 = renewed;
        } else {
            wildcard3 = renewed;
        }
    }

    private void publish(int batch) throws InterruptedException {
        Channel publisher = (sent / BATCH & 1) == 0 ? publisher3 : publisher5;
        int deliveries = 0;
        if (splitRest != null) {
            splitter.write(Unpooled.wrappedBuffer(splitRest));
            deliveries += splitRestDeliveries;
            splitRest = null;
        }
        for (int i = 0; i < batch; i++, sent++) {
            int topic = (int) (sent & 7);
            int copies = topic == 1 || topic == 2 ? 3 : 2; // both wildcards, and one exact
            if (batch > 1 && i == batch - 1 && sent / BATCH % 16 >= 12) {
                // Four batches in sixteen end inside a packet whose rest comes with the next batch,
                // as slow networks and large payloads bring them: the decoder keeps the first
                // part, then a read completes it and leaves a part of the next. Both halves in
                // one batch arrived in one read (the loop writes the batch before it reads), and
                // the first real read that left a part behind threw the compiled read-complete
                // path away (ByteToMessageDecoder.discardSomeReadBytes, -XX:+LogCompilation).
                // Its own client, which sends nothing else: a PUBREL inside the split packet
                // would be a broken stream.
                byte[] split = RawPackets.publish(false, TOPIC + topic, 0, 0, new byte[64]);
                splitter.write(Unpooled.wrappedBuffer(split, 0, split.length / 2));
                splitRest = Arrays.copyOfRange(split, split.length / 2, split.length);
                splitRestDeliveries = copies; // awaited with the rest
                continue;
            }
            deliveries += copies;
            int qos = sent % 10 == 9 ? 2 : (int) (sent % 2); // mostly 0 and 1; some 2
            packetId = packetId == 65_535 ? 1 : packetId + 1;
            publisher.write(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, false,
                    MqttQoS.valueOf(qos), false, 0),
                    new MqttPublishVariableHeader(TOPIC + topic, qos == 0 ? 0 : packetId),
                    payload.retainedDuplicate()));
        }
        publisher.flush();
        splitter.flush();
        if (!received.tryAcquire(deliveries, 5, TimeUnit.SECONDS)) {
            throw new IllegalStateException("warm-up messages not delivered in 5 s");
        }
    }

    @Override
    public void close() {
        for (Channel channel : channels) {
            channel.close().awaitUninterruptibly(1_000);
        }
        payload.release();
    }

    private Channel connect(EventLoops loops, InetSocketAddress address, String clientId, MqttVersion version,
                            Semaphore counted) throws InterruptedException {
        Client client = new Client(counted);
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
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
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
