package io.tern.mqtt;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttProperties;
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
import io.tern.testing.Fuzz;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated and random bytes into the MQTT tail (decoder, connection handler, broker): nothing may
 * escape as an exception, every buffer must be released (counted by a dedicated allocator), and
 * the broker must serve a well-behaved client afterwards.
 */
class MqttFuzzTest {
    private final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);
    private final Broker broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(),
            new InMemorySessionStore(), Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(),
            System::currentTimeMillis, OfflineExecutors.callerRuns());
    private final MqttTail tail = new MqttTail(broker, MqttTailSettings.defaults().withMaxPublishRate(0));

    private static byte[] encode(MqttVersion version, MqttMessage... messages) {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.attr(TailHarness.VERSION).set(version);
        List<Byte> bytes = new ArrayList<>();
        for (MqttMessage message : messages) {
            encoder.writeOutbound(message);
            ByteBuf encoded = encoder.readOutbound();
            while (encoded.isReadable()) {
                bytes.add(encoded.readByte());
            }
            encoded.release();
        }
        encoder.finishAndReleaseAll();
        byte[] result = new byte[bytes.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = bytes.get(i);
        }
        return result;
    }

    /** Valid conversations for both protocol levels: the seeds the mutations start from. */
    private static List<byte[]> corpus() {
        List<byte[]> corpus = new ArrayList<>();
        for (MqttVersion version : new MqttVersion[] {MqttVersion.MQTT_3_1_1, MqttVersion.MQTT_5}) {
            MqttProperties connectProps = new MqttProperties();
            if (version == MqttVersion.MQTT_5) {
                connectProps.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value(), 60));
                connectProps.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value(), 5));
                connectProps.add(new MqttProperties.UserProperty("k", "v"));
            }
            MqttMessage connect = MqttMessageBuilders.connect().protocolVersion(version).clientId("fuzz")
                    .cleanSession(true).keepAlive(30).username("user").password("pw".getBytes(StandardCharsets.UTF_8))
                    .willFlag(true).willTopic("will/t").willMessage("bye".getBytes(StandardCharsets.UTF_8))
                    .willQoS(MqttQoS.AT_LEAST_ONCE).properties(connectProps).build();
            MqttProperties publishProps = new MqttProperties();
            if (version == MqttVersion.MQTT_5) {
                publishProps.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS.value(), 1));
                publishProps.add(new MqttProperties.IntegerProperty(MqttProperties.MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value(), 1));
                publishProps.add(new MqttProperties.StringProperty(MqttProperties.MqttPropertyType.CONTENT_TYPE.value(), "text/plain"));
            }
            MqttMessage subscribe = MqttMessageBuilders.subscribe().messageId(1).addSubscription(MqttQoS.EXACTLY_ONCE, "a/+/c")
                    .addSubscription(MqttQoS.AT_MOST_ONCE, "$share/g/x/#").build();
            java.util.function.Supplier<MqttMessage> publish0 = () -> MqttMessageBuilders.publish().topicName("a/b/c")
                    .qos(MqttQoS.AT_MOST_ONCE).properties(publishProps)
                    .payload(io.netty.buffer.Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8))).build();
            MqttMessage publish2 = MqttMessageBuilders.publish().topicName("a/b/c").qos(MqttQoS.EXACTLY_ONCE).messageId(7)
                    .retained(true).payload(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1, 2, 3})).build();
            MqttMessage pubrel = MqttMessageBuilders.pubAck().packetId(7).build(); // the PUBACK layout, type changed below
            MqttMessage unsubscribe = MqttMessageBuilders.unsubscribe().messageId(2).addTopicFilter("a/+/c").build();
            byte[] pubrelBytes = encode(version, pubrel);
            pubrelBytes[0] = 0x62; // PUBREL with its reserved flags
            corpus.add(concat(encode(version, connect), encode(version, subscribe, publish0.get(), publish2), pubrelBytes,
                    encode(version, unsubscribe, MqttMessage.PINGREQ, MqttMessage.DISCONNECT)));
            corpus.add(encode(version, MqttMessageBuilders.connect().protocolVersion(version).clientId("fuzz")
                    .cleanSession(true).keepAlive(30).properties(connectProps).build()));
            corpus.add(concat(corpus.get(corpus.size() - 1), encode(version, publish0.get(), publish0.get())));
        }
        return corpus;
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private EmbeddedChannel newConnection() {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                tail.install(ch.pipeline(), "fuzz");
            }
        });
        channel.config().setAllocator(allocator);
        return channel;
    }

    /** Feeds one input in reads; returns normally unless something escaped the pipeline. */
    private void feed(List<byte[]> reads) {
        EmbeddedChannel channel = newConnection();
        try {
            for (byte[] read : reads) {
                if (!channel.isOpen()) {
                    break;
                }
                ByteBuf buf = allocator.heapBuffer(read.length);
                buf.writeBytes(read);
                channel.pipeline().fireChannelRead(buf);
                channel.pipeline().fireChannelReadComplete();
                channel.runPendingTasks();
                channel.checkException();
            }
        } finally {
            channel.close();
            channel.runPendingTasks();
            channel.checkException();
            Object out;
            while ((out = channel.readOutbound()) != null) {
                ReferenceCountUtil.release(out);
            }
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void mutatedConversationsNeitherThrowNorLeak() {
        Fuzz fuzz = Fuzz.fromSystemProperties();
        List<byte[]> corpus = corpus();
        fuzz.run(Fuzz.iterations(4000), f -> f.mutate(f.pick(corpus)), input -> feed(fuzz.chunks(input)));
        assertThat(allocator.metric().usedHeapMemory()).as("bytes still allocated after every connection closed")
                .isZero();
        assertThat(allocator.metric().usedDirectMemory()).isZero();
        stillServes();
    }

    @Test
    void randomBytesAfterAValidConnectNeitherThrowNorLeak() {
        Fuzz fuzz = Fuzz.fromSystemProperties();
        List<byte[]> corpus = corpus();
        fuzz.run(Fuzz.iterations(1500), f -> concat(corpus.get(f.random().nextBoolean() ? 1 : 4), f.randomBytes(256)),
                input -> feed(fuzz.chunks(input)));
        assertThat(allocator.metric().usedHeapMemory()).isZero();
        stillServes();
    }

    /** The same broker and tail accept a well-behaved client after the fuzzing. */
    private void stillServes() {
        EmbeddedChannel channel = newConnection();
        byte[] connect = encode(MqttVersion.MQTT_5, Packets5.connect(MqttVersion.MQTT_5, "after-fuzz", true));
        ByteBuf buf = allocator.heapBuffer(connect.length).writeBytes(connect);
        channel.pipeline().fireChannelRead(buf);
        channel.pipeline().fireChannelReadComplete();
        channel.runPendingTasks();
        ByteBuf connAck = channel.readOutbound();
        try {
            assertThat(connAck.getByte(0)).isEqualTo((byte) 0x20); // CONNACK
            assertThat(connAck.getByte(3)).isZero(); // reason code: success
        } finally {
            connAck.release();
            channel.finishAndReleaseAll();
        }
    }
}
