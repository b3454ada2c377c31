package io.tern.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
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
import io.netty.util.ReferenceCountUtil;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.session.OfflineExecutors;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.core.storage.MessageLog;
import io.tern.mqtt.HandlerNames;
import io.tern.mqtt.MqttTail;
import io.tern.mqtt.MqttTailSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The per-message path, from a PUBLISH entering the publisher's connection handler to the
 * encoded bytes the subscribers' channels write: routing, session queues, packet ids, QoS 1
 * acknowledgements both ways, encoding. {@code input=decoded} hands the connection handler
 * Netty's decoded messages; {@code input=bytes} hands the pipeline the packets' bytes, as a read
 * does, so the decoders are measured too. The real MQTT tail on {@link EmbeddedChannel}s,
 * so no socket or scheduler noise is measured; the broker runs with the in-memory store. The
 * benchmark thread is a {@code FastThreadLocalThread}, as an event loop is, so Netty recycles
 * what it recycles in the broker ({@link FastThreadLocalExecutor}).
 * <pre>java -cp bench/target/tern-bench.jar org.openjdk.jmh.Main PublishPathBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Djmh.executor=CUSTOM",
        "-Djmh.executor.class=io.tern.bench.FastThreadLocalExecutor"})
public class PublishPathBenchmark {
    private static final String TOPIC = "bench/path/topic";

    @Param({"0", "1"})
    public int qos;

    @Param({"1", "10"})
    public int subscribers;

    @Param({"decoded", "bytes"})
    public String input;

    private Broker broker;
    private EmbeddedChannel publisher;
    private final List<EmbeddedChannel> subscriberChannels = new ArrayList<>();
    private final EmbeddedChannel clientEncoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
    private ByteBuf payload;
    private int nextPacketId;
    private boolean fromBytes;
    private byte[] publishBytes;
    private int packetIdAt;

    @Setup(Level.Trial)
    public void connect() {
        broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                MessageLog.NONE, Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(),
                System::currentTimeMillis, OfflineExecutors.callerRuns());
        MqttTail tail = new MqttTail(broker, MqttTailSettings.defaults());
        publisher = connected(tail, "publisher");
        for (int i = 0; i < subscribers; i++) {
            EmbeddedChannel subscriber = connected(tail, "subscriber" + i);
            send(subscriber, MqttMessageBuilders.subscribe().messageId(1)
                    .addSubscription(MqttQoS.valueOf(qos), TOPIC).build());
            drain(subscriber);
            subscriberChannels.add(subscriber);
        }
        payload = Unpooled.directBuffer(64).writeZero(64);
        fromBytes = input.equals("bytes");
        // The PUBLISH as a client sends it, with packet id 1 where there is one (set per call).
        clientEncoder.writeOutbound(publishMessage(qos == 0 ? 0 : 1));
        ByteBuf encoded = clientEncoder.readOutbound();
        publishBytes = ByteBufUtil.getBytes(encoded);
        encoded.release();
        packetIdAt = 2 + 2 + TOPIC.length(); // fixed header (remaining length under 128), topic
    }

    @TearDown(Level.Trial)
    public void close() {
        publisher.finishAndReleaseAll();
        subscriberChannels.forEach(EmbeddedChannel::finishAndReleaseAll);
        clientEncoder.finishAndReleaseAll();
        payload.release();
        broker.close();
    }

    /** One PUBLISH in, its PUBACK (QoS 1) out, and each subscriber's PUBLISH out and acknowledged. */
    @Benchmark
    public int publish() {
        int packetId = qos == 0 ? 0 : nextPacketId();
        ChannelPipeline pipeline = publisher.pipeline();
        if (fromBytes) {
            ByteBuf packet = PooledByteBufAllocator.DEFAULT.directBuffer(publishBytes.length).writeBytes(publishBytes);
            if (qos > 0) {
                packet.setShort(packetIdAt, packetId);
            }
            pipeline.fireChannelRead(packet);
        } else {
            pipeline.context(HandlerNames.DECODER).fireChannelRead(publishMessage(packetId));
        }
        pipeline.fireChannelReadComplete();
        int bytes = drain(publisher);
        for (EmbeddedChannel subscriber : subscriberChannels) {
            subscriber.runPendingTasks();
            subscriber.flushOutbound();
            bytes += acknowledge(subscriber);
        }
        return bytes;
    }

    /** The benchmark's PUBLISH as Netty's decoder would hand it on (the payload shared, retained). */
    private MqttPublishMessage publishMessage(int packetId) {
        return new MqttPublishMessage(
                new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.valueOf(qos), false, 0),
                new MqttPublishVariableHeader(TOPIC, packetId), payload.retainedDuplicate());
    }

    private int nextPacketId() {
        nextPacketId = nextPacketId == 65_535 ? 1 : nextPacketId + 1;
        return nextPacketId;
    }

    /** Reads what the server wrote and acknowledges each QoS 1 PUBLISH, as a client would. */
    private int acknowledge(EmbeddedChannel subscriber) {
        int bytes = 0;
        Object out;
        while ((out = subscriber.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) out;
            bytes += buf.readableBytes();
            if (qos == 1) {
                // A QoS 1 PUBLISH: header byte, remaining length (one byte here), topic, packet id.
                int topicLength = buf.getUnsignedShort(buf.readerIndex() + 2);
                int packetId = buf.getUnsignedShort(buf.readerIndex() + 4 + topicLength);
                if (fromBytes) {
                    subscriber.pipeline().fireChannelRead(PooledByteBufAllocator.DEFAULT.directBuffer(4)
                            .writeByte(0x40).writeByte(2).writeShort(packetId));
                } else {
                    subscriber.pipeline().context(HandlerNames.DECODER).fireChannelRead(new MqttMessage(
                            new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0),
                            MqttMessageIdVariableHeader.from(packetId)));
                }
            }
            buf.release();
        }
        return bytes;
    }

    private EmbeddedChannel connected(MqttTail tail, String clientId) {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                tail.install(ch.pipeline(), "bench");
            }
        });
        channel.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        send(channel, MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId(clientId)
                .cleanSession(true).keepAlive(60).build());
        drain(channel);
        return channel;
    }

    private void send(EmbeddedChannel channel, MqttMessage message) {
        clientEncoder.writeOutbound(message);
        ByteBuf encoded = clientEncoder.readOutbound();
        channel.pipeline().fireChannelRead(encoded);
        channel.pipeline().fireChannelReadComplete();
    }

    private static int drain(EmbeddedChannel channel) {
        int bytes = 0;
        for (int i = 0; i < 3; i++) {
            channel.runPendingTasks();
            channel.flushOutbound();
        }
        Object out;
        while ((out = channel.readOutbound()) != null) {
            bytes += ((ByteBuf) out).readableBytes();
            ReferenceCountUtil.release(out);
        }
        return bytes;
    }
}
