package io.tern.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.routing.Topics;
import io.tern.core.session.OutboundPublish;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.quicktheories.core.Gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

class OutboundPublishesTest {

    @Test
    void eachQosDupAndRetainCombinationGetsAHeaderWithExactlyThoseFlags() {
        for (QoS qos : QoS.values()) {
            for (boolean dup : new boolean[]{false, true}) {
                for (boolean retain : new boolean[]{false, true}) {
                    Message message = Message.of("t/" + qos, "x".getBytes(StandardCharsets.UTF_8), qos, retain);
                    MqttPublishMessage built = OutboundPublishes.build(
                            new OutboundPublish(qos == QoS.AT_MOST_ONCE ? 0 : 7, message, dup, List.of(), 0), false);
                    try {
                        MqttFixedHeader header = built.fixedHeader();
                        assertThat(header.messageType()).isEqualTo(MqttMessageType.PUBLISH);
                        assertThat(header.qosLevel().value()).as("qos").isEqualTo(qos.value());
                        assertThat(header.isDup()).as("dup of %s", header).isEqualTo(dup);
                        assertThat(header.isRetain()).as("retain of %s", header).isEqualTo(retain);
                        assertThat(built.variableHeader().topicName()).isEqualTo("t/" + qos);
                    } finally {
                        built.release();
                    }
                }
            }
        }
    }

    @Test
    void anMqtt5PublishCarriesExactlyTheMessagesPropertiesAndSubscriptionIdentifiers() {
        byte[] payload = "x".getBytes(StandardCharsets.UTF_8);
        Message plain = Message.of("t", payload, QoS.AT_LEAST_ONCE, false);
        MqttPublishMessage bare = OutboundPublishes.build(new OutboundPublish(1, plain, false, List.of(), 0), true);
        try {
            assertThat(bare.variableHeader().properties().isEmpty()).isTrue();
        } finally {
            bare.release();
        }

        Message typed = new Message("t", payload, QoS.AT_LEAST_ONCE, false,
                new MessageProperties(null, "text/plain", null, null, List.of()), 10_000);
        MqttPublishMessage full = OutboundPublishes.build(new OutboundPublish(2, typed, false, List.of(7, 9), 4_000), true);
        try {
            MqttProperties properties = full.variableHeader().properties();
            assertThat(properties.getProperty(MqttPropertyType.CONTENT_TYPE.value()).value()).isEqualTo("text/plain");
            assertThat(properties.getProperty(MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value()).value()).isEqualTo(6);
            assertThat(properties.getProperties(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()))
                    .extracting(MqttProperties.MqttProperty::value).containsExactly(7, 9);
        } finally {
            full.release();
        }
    }

    /** What {@code encode} writes itself is, byte for byte, what Netty's encoder writes for {@code build}. */
    @Test
    void aPublishWithoutPropertiesIsEncodedExactlyAsNettysEncoderWouldEncodeIt() {
        // Any code points a topic name the broker accepts may hold (no wildcards, no U+0000, no
        // half of a surrogate pair).
        Gen<String> topics = strings().allPossible().ofLengthBetween(1, 40)
                .mix(strings().ascii().ofLengthBetween(1, 300), 50)
                .map(topic -> withoutUnpairedSurrogates(topic.replace('+', 'p').replace('#', 'h').replace('\u0000', '0')));
        Gen<Integer> payloadSizes = integers().between(0, 200).mix(integers().between(0, 20_000), 10);
        qt().withExamples(500).forAll(topics, integers().between(0, 7), payloadSizes, integers().between(1, 65_535))
                .checkAssert((topic, flags, payloadSize, packetId) -> {
                    QoS qos = QoS.values()[flags % 3];
                    boolean dup = (flags & 4) != 0;
                    boolean retain = payloadSize % 2 == 0;
                    byte[] payload = new byte[payloadSize];
                    new Random(payloadSize).nextBytes(payload);
                    OutboundPublish publish = new OutboundPublish(qos == QoS.AT_MOST_ONCE ? 0 : packetId,
                            Message.of(topic, payload, qos, retain), dup, List.of(), 0);
                    assertThat(Topics.checkTopicName(topic).isValid()).as("generated topic is valid").isTrue();
                    for (boolean v5 : new boolean[]{false, true}) {
                        Object encoded = OutboundPublishes.encode(UnpooledByteBufAllocator.DEFAULT, publish, v5);
                        assertThat(encoded).isInstanceOf(ByteBuf.class);
                        byte[] ours = drained((ByteBuf) encoded);
                        byte[] netty = nettyEncoded(OutboundPublishes.build(publish, v5), v5);
                        assertThat(ours).as("topic %s qos %s dup %s retain %s v5 %s payload %d bytes",
                                topic, qos, dup, retain, v5, payloadSize).isEqualTo(netty);
                        assertThat(ours.length).isEqualTo(OutboundPublishes.size(publish, v5));
                    }
                });
    }

    @Test
    void aPublishWithPropertiesIsLeftToNettysEncoder() {
        Message typed = new Message("t", new byte[]{1}, QoS.AT_LEAST_ONCE, false,
                new MessageProperties(null, "text/plain", null, null, List.of()), Message.NEVER_EXPIRES);
        Object withProperties = OutboundPublishes.encode(UnpooledByteBufAllocator.DEFAULT,
                new OutboundPublish(1, typed, false, List.of(), 0), true);
        Object withIdentifier = OutboundPublishes.encode(UnpooledByteBufAllocator.DEFAULT,
                new OutboundPublish(1, Message.of("t", new byte[]{1}, QoS.AT_LEAST_ONCE, false), false, List.of(3), 0), true);
        Object forV3 = OutboundPublishes.encode(UnpooledByteBufAllocator.DEFAULT,
                new OutboundPublish(1, typed, false, List.of(3), 0), false);
        try {
            assertThat(withProperties).isInstanceOf(MqttPublishMessage.class);
            assertThat(withIdentifier).isInstanceOf(MqttPublishMessage.class);
            assertThat(forV3).as("MQTT 3.1.1 has no properties to send").isInstanceOf(ByteBuf.class);
        } finally {
            ReferenceCountUtil.release(withProperties);
            ReferenceCountUtil.release(withIdentifier);
            ReferenceCountUtil.release(forV3);
        }
    }

    /** Replaces each half of a surrogate pair that has no other half, so that every draw is used. */
    private static String withoutUnpairedSurrogates(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? 's' : c);
            }
        }
        return out.toString();
    }

    private static byte[] nettyEncoded(MqttPublishMessage message, boolean v5) {
        EmbeddedChannel channel = new EmbeddedChannel(MqttEncoder.INSTANCE);
        try {
            if (v5) {
                // Encoding a CONNECT is what tells Netty's encoder the channel speaks MQTT 5.
                channel.writeOutbound(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_5)
                        .clientId("c").build());
                ((ByteBuf) channel.readOutbound()).release();
            }
            channel.writeOutbound(message);
            return drained(channel.readOutbound());
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static byte[] drained(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }
}
