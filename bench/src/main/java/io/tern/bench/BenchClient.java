package io.tern.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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

import java.util.concurrent.CompletableFuture;

/**
 * One generator connection: publishes as fast as its window and TCP back-pressure allow (or at
 * a fixed rate), and/or receives into {@link Receipts}. Runs on its channel's event loop.
 */
final class BenchClient extends ChannelInboundHandlerAdapter {
    final CompletableFuture<Void> connected = new CompletableFuture<>();
    final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    /**
     * Made on first use, on the channel's loop: its latency histogram is about 140 KB, and when
     * every client carried one, 19,000 idle connections made the generator's young collections
     * copy gigabytes, 250-450 ms stalls in the middle of the connect storm it was timing.
     */
    private Receipts receipts;
    private final String clientId;
    private Channel channel;

    // publishing (event-loop state)
    private String topic;
    private MqttQoS qos = MqttQoS.AT_MOST_ONCE;
    private int window;
    private int payloadSize;
    private int publisherId;
    private boolean flooding;
    private int inflight;
    private int nextPacketId;
    long sent;

    private final boolean cleanSession;
    private final MqttVersion version;

    /**
     * @param cleanSession false makes a persistent session (stored by a durable broker)
     * @param version      MQTT 3.1.1 or 5; Netty's codec follows the CONNECT's version for the
     *                     rest of the connection (PUBLISH properties, reason codes)
     */
    BenchClient(String clientId, boolean cleanSession, MqttVersion version) {
        this.clientId = clientId;
        this.cleanSession = cleanSession;
        this.version = version;
    }

    /** What this client received; call on its channel's loop. */
    Receipts receipts() {
        if (receipts == null) {
            receipts = new Receipts();
        }
        return receipts;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        ctx.writeAndFlush(MqttMessageBuilders.connect().protocolVersion(version).clientId(clientId)
                .cleanSession(cleanSession).keepAlive(60).build());
        ctx.fireChannelActive();
    }

    void subscribe(String filter, int subscriptionQos) {
        channel.eventLoop().execute(() -> channel.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1)
                .addSubscription(MqttQoS.valueOf(subscriptionQos), filter).build()));
    }

    void configurePublisher(String publishTopic, int publishQos, int maxInflight, int size, int id) {
        this.topic = publishTopic;
        this.qos = MqttQoS.valueOf(publishQos);
        this.window = maxInflight;
        this.payloadSize = size;
        this.publisherId = id;
    }

    /** Publish until stopped, limited by the window (QoS 1/2) and socket writability. */
    void startFlood() {
        channel.eventLoop().execute(() -> {
            flooding = true;
            pump();
        });
    }

    void stopFlood() {
        channel.eventLoop().execute(() -> flooding = false);
    }

    /** One message, if the window allows (fixed-rate scenarios). */
    void publishOne() {
        channel.eventLoop().execute(() -> {
            if (qos == MqttQoS.AT_MOST_ONCE || inflight < window) {
                sendOne();
                channel.flush();
            }
        });
    }

    private void pump() {
        int batch = 0;
        while (flooding && channel.isWritable() && (qos == MqttQoS.AT_MOST_ONCE || inflight < window) && batch < 512) {
            sendOne();
            batch++;
        }
        channel.flush();
        if (flooding && batch == 512) {
            channel.eventLoop().execute(this::pump); // let the loop read acks between batches
        }
    }

    private void sendOne() {
        int packetId = 0;
        if (qos != MqttQoS.AT_MOST_ONCE) {
            nextPacketId = nextPacketId == 65_535 ? 1 : nextPacketId + 1;
            packetId = nextPacketId;
            inflight++;
        }
        ByteBuf payload = Payloads.encode(channel.alloc(), payloadSize, publisherId, sent++);
        // Not MqttMessageBuilders.publish(): its build() copies the payload and never releases it.
        channel.write(new MqttPublishMessage(new MqttFixedHeader(MqttMessageType.PUBLISH, false, qos, false, 0),
                new MqttPublishVariableHeader(topic, packetId), payload), channel.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            MqttMessage message = (MqttMessage) msg;
            if (message.decoderResult().isFailure()) {
                ctx.close();
                return;
            }
            switch (message.fixedHeader().messageType()) {
                case CONNACK -> connected.complete(null);
                case SUBACK -> subscribed.complete(null);
                case PUBLISH -> onPublish(ctx, (MqttPublishMessage) message);
                case PUBACK, PUBCOMP -> {
                    inflight--;
                    pump();
                }
                case PUBREC -> ctx.write(reply(MqttMessageType.PUBREL, id(message)));
                case PUBREL -> ctx.write(reply(MqttMessageType.PUBCOMP, id(message)));
                default -> {
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onPublish(ChannelHandlerContext ctx, MqttPublishMessage publish) {
        receipts().accept(publish.content());
        MqttQoS received = publish.fixedHeader().qosLevel();
        if (received == MqttQoS.AT_LEAST_ONCE) {
            ctx.write(reply(MqttMessageType.PUBACK, publish.variableHeader().packetId()));
        } else if (received == MqttQoS.EXACTLY_ONCE) {
            ctx.write(reply(MqttMessageType.PUBREC, publish.variableHeader().packetId()));
        }
    }

    private static int id(MqttMessage message) {
        return ((MqttMessageIdVariableHeader) message.variableHeader()).messageId();
    }

    private static MqttMessage reply(MqttMessageType type, int packetId) {
        MqttQoS qos = type == MqttMessageType.PUBREL ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        return new MqttMessage(new MqttFixedHeader(type, false, qos, false, 0), MqttMessageIdVariableHeader.from(packetId));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            pump();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connected.completeExceptionally(cause);
        ctx.close();
    }

    Channel channel() {
        return channel;
    }
}
