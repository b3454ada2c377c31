package io.tern.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttSubscriptionOption;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.tern.core.Backpressure;
import io.tern.core.Broker;
import io.tern.core.PublishOutcome;
import io.tern.core.Publisher;
import io.tern.core.storage.MessageLog;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import io.tern.netty.ChannelAttributes;
import io.tern.netty.ConnectionGate;
import io.tern.netty.Addresses;
import io.tern.netty.TlsIdentity;
import io.tern.core.ReasonCode;
import io.tern.core.SubscriptionRequest;
import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.routing.RetainHandling;
import io.tern.core.routing.SharedFilter;
import io.tern.core.routing.SubscriptionOptions;
import io.tern.core.session.ConnectOutcome;
import io.tern.core.session.ConnectRequest;
import io.tern.core.session.DisconnectKind;
import io.tern.core.session.OutboundPublish;
import io.tern.core.session.Session;
import io.tern.core.session.SessionConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One MQTT connection: reads CONNECT, then maps each packet to one {@link Broker} call, and is
 * the session's {@link SessionConnection} while attached. Runs on the channel's event loop, which
 * is the session's owner thread while the connection is attached, so it calls the session's
 * owner-thread methods directly.
 */
final class MqttConnectionHandler extends ChannelInboundHandlerAdapter implements SessionConnection,
        KeepAliveSweeper.Watched {

    private static final Logger LOG = LoggerFactory.getLogger(MqttConnectionHandler.class);
    /**
     * client_connected and client_disconnected: one line per connection, so their own logger, off
     * unless configured (docs/operations.md). On, they cost about 2.3 KB of garbage and a console
     * write on the event loop per connect: a reconnect storm of 100,000 clients is 200,000 lines.
     */
    private static final Logger CONNECTIONS = LoggerFactory.getLogger(MqttTail.CONNECTIONS_LOGGER);
    private static final AttributeKey<MqttVersion> CODEC_VERSION = AttributeKey.valueOf("NETTY_CODEC_MQTT_VERSION");
    /** v3 CONNACK "unacceptable protocol version", written raw: the codec has no version yet. */
    private static final byte[] CONNACK_UNACCEPTABLE_PROTOCOL = {0x20, 0x02, 0x00, 0x01};

    private enum State { AWAIT_CONNECT, CONNECTING, CONNECTED, CLOSED }

    private final Broker broker;
    private final MqttTailSettings settings;
    private final ConnectTranslator translator;
    private final String transport;
    /** Packets held while connecting or throttled; made when first needed, as for most it never is. */
    private ArrayDeque<MqttMessage> deferred;

    private ChannelHandlerContext ctx;
    /** Writes {@link #acksAfterSessionWork} and flushes; made once, run as a loop task after a read. */
    private Runnable flushAfterSessionWork;
    /**
     * PUBACKs, PUBRECs and PUBCOMPs that are ready, written by {@link #flushAfterSessionWork}
     * rather than during the read: encoding and writing one took about 1 µs (3-4 µs when the
     * loop wakes with cold caches) between a QoS 1 PUBLISH being routed and the subscriber's copy
     * going out. Always written before any acknowledgement still waiting for storage, so the
     * order of acknowledgements is kept [MQTT-4.6.0-2, 4.6.0-3, 4.6.0-4]. Made when first needed.
     */
    private ArrayDeque<MqttMessage> acksAfterSessionWork;
    /** Between the first channelRead of a read and its channelReadComplete, which flushes. */
    private boolean reading;
    private State state = State.AWAIT_CONNECT;
    private boolean closing;
    private final PublishRate publishRate;
    private final LogBudget logBudget;
    private ScheduledFuture<?> connectTimeout;
    private boolean begun;
    private final KeepAliveSweeper.PerLoop sweepers;
    private KeepAliveSweeper keepAlive;
    private long lastReadSweep;
    private long allowedSweeps;
    private int keepAliveSlot = -1;
    private ProtocolAdapter adapter;
    /** From CONNECT until CONNACK is sent. */
    private ConnectPlan.Accept plan;
    private String clientId;
    private long clientMaxPacketSize = Long.MAX_VALUE;
    private boolean connectedWithZeroExpiry;
    private TopicAliases topicAliases;
    private Session session;
    private long generation;
    private Publisher publisher;
    private DisconnectKind closeKind = DisconnectKind.ABNORMAL;
    private boolean throttled;
    /** Acknowledgements waiting for their messages to be stored, in packet order. */
    private ArrayDeque<PendingAck> pendingAcks; // made when first needed
    /** A further reason to stay throttled that came while already throttled. */
    private Backpressure alsoWaitFor;
    private final UnreadReplies unreadReplies = new UnreadReplies();
    private Long expiryFromDisconnect;

    MqttConnectionHandler(Broker broker, MqttTailSettings settings, String transport, LogBudget logBudget,
                          KeepAliveSweeper.PerLoop sweepers, ConnectTranslator translator) {
        this.sweepers = sweepers;
        this.logBudget = logBudget;
        this.publishRate = settings.maxPublishRate() > 0 ? new PublishRate(settings.maxPublishRate()) : null;
        this.broker = broker;
        this.settings = settings;
        this.translator = translator;
        this.transport = transport;
    }

    // ------------------------------------------------------------------ channel events

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.flushAfterSessionWork = this::writeAcksAndFlush;
        if (context.channel().isActive()) {
            // Installed after activation (WebSocket installs the tail once the upgrade is done).
            begin(context);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        begin(context);
        context.fireChannelActive();
    }

    private void begin(ChannelHandlerContext context) {
        if (begun) {
            return;
        }
        begun = true;
        connectTimeout = context.executor().schedule(this::onConnectTimeout, settings.connectTimeoutMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The address a transport forwarded (WebSocket behind a proxy), or null. */
    private String forwardedAddress() {
        return ChannelAttributes.peek(ctx.channel(), MqttTail.CLIENT_ADDRESS);
    }

    /** For logs; worked out when needed rather than held by every connection. */
    private String remoteAddress() {
        String forwarded = forwardedAddress();
        return forwarded != null ? forwarded : describe(ctx.channel().remoteAddress());
    }

    private String clientHost() {
        String forwarded = forwardedAddress();
        return forwarded != null ? forwarded : Addresses.hostOf(ctx.channel().remoteAddress());
    }

    private static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() + ":" + inet.getPort()
                    : inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    private void onConnectTimeout() {
        if (state == State.AWAIT_CONNECT && !closing) {
            if (logBudget.allow("connect_timeout")) {
                LOG.info("connect_timeout remote={}", remoteAddress());
            }
            broker.metrics().protocolError("connect_timeout");
            closing = true;
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        reading = true;
        if (keepAlive != null) {
            lastReadSweep = keepAlive.now();
        }
        if (!(msg instanceof MqttMessage message) || closing || state == State.CLOSED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (state == State.CONNECTING || throttled) {
            if (deferred == null) {
                deferred = new ArrayDeque<>();
            }
            deferred.add(message); // released when processed or on close
            // Stop reading until they are processed: at most one read's worth is held. Only now,
            // not at every CONNECT: most clients wait for CONNACK, and each switch is a syscall.
            ctx.channel().config().setAutoRead(false);
            return;
        }
        try {
            if (message.decoderResult().isFailure()) {
                onDecoderFailure(message.decoderResult().cause());
            } else if (state == State.AWAIT_CONNECT) {
                onFirstPacket(message);
            } else {
                onPacket(message);
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext context) {
        // A task queued behind the session work this read queued on this loop writes the
        // acknowledgements the read held back and flushes what it wrote (SUBACKs, PINGRESPs): a
        // subscriber's copy goes on the wire before the publisher's PUBACK, as Mosquitto orders
        // them, not behind a loopback write (about 10 µs of the median QoS 1 delivery, measured).
        // Both still go out in this loop iteration.
        reading = false;
        if (context.executor().isShuttingDown()) {
            writeAcksAndFlush();
        } else {
            context.executor().execute(flushAfterSessionWork);
        }
        context.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        if (state == State.CONNECTED && !closing && context.channel().isWritable()) {
            session.onWritable();
        }
        context.fireChannelWritabilityChanged();
    }

    @Override
    public void keepAliveExpired() {
        if (state == State.CONNECTED && !closing) {
            // [MQTT-3.1.2-22] nothing within 1.5 x keep alive: the connection is dead.
            closeWithError(ReasonCode.KEEP_ALIVE_TIMEOUT, "no packet within 1.5 x keep alive");
        }
    }

    @Override
    public long lastReadSweep() {
        return lastReadSweep;
    }

    @Override
    public long allowedSweeps() {
        return allowedSweeps;
    }

    @Override
    public int slot() {
        return keepAliveSlot;
    }

    @Override
    public void slot(int slot) {
        keepAliveSlot = slot;
    }

    /** The TLS failure behind {@code cause} (a bad handshake surfaces wrapped in a DecoderException), or null. */
    private static javax.net.ssl.SSLException tlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        javax.net.ssl.SSLException tls = tlsFailure(cause);
        if (tls != null) {
            // Scanners and clients with old TLS versions or wrong certificates: expected, not a fault.
            broker.metrics().protocolError("tls_handshake");
            if (logBudget.allow("tls_handshake_failed")) {
                LOG.info("tls_handshake_failed remote={} error=\"{}\"", remoteAddress(), tls.getMessage());
            }
        } else if (cause instanceof IOException) {
            LOG.debug("connection_io_error client_id={} remote={} error={}", clientId(), remoteAddress(), cause.toString());
        } else {
            LOG.warn("connection_error client_id={} remote={} error={}", clientId(), remoteAddress(),
                    DecoderFailures.describe(cause));
        }
        closing = true;
        context.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        if (keepAlive != null) {
            keepAlive.unwatch(this);
            keepAlive = null;
        }
        State previous = state;
        state = State.CLOSED;
        MqttMessage pending;
        while (deferred != null && (pending = deferred.poll()) != null) {
            ReferenceCountUtil.release(pending);
        }
        if (previous == State.CONNECTED) {
            Session attached = session;
            long attachedGeneration = generation;
            DisconnectKind kind = closeKind;
            Long newExpiry = expiryFromDisconnect;
            attached.execute(() -> attached.connectionClosed(attachedGeneration, kind, newExpiry));
            if (CONNECTIONS.isInfoEnabled()) {
                CONNECTIONS.info("client_disconnected client_id={} remote={} kind={}", clientId(), remoteAddress(),
                        kind.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        context.fireChannelInactive();
    }

    private String clientId() {
        return clientId;
    }

    // ------------------------------------------------------------------ CONNECT

    private void onDecoderFailure(Throwable cause) {
        ReasonCode reason = DecoderFailures.reasonFor(cause);
        broker.metrics().protocolError(reason.label());
        if (logBudget.allow("malformed_packet")) {
            LOG.info("malformed_packet client_id={} remote={} reason={} detail=\"{}\"", clientId(), remoteAddress(),
                    reason.label(), DecoderFailures.describe(cause));
        }
        if (state != State.AWAIT_CONNECT) {
            closeWithError(reason, DecoderFailures.describe(cause));
            return;
        }
        closing = true;
        MqttVersion version = ctx.channel().attr(CODEC_VERSION).get();
        if (reason == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION) {
            // [MQTT-3.1.2-2] answer an unknown protocol level with return code 0x01 and close.
            ctx.writeAndFlush(Unpooled.wrappedBuffer(CONNACK_UNACCEPTABLE_PROTOCOL)).addListener(ChannelFutureListener.CLOSE);
        } else if (version == MqttVersion.MQTT_5 || reason == ReasonCode.CLIENT_IDENTIFIER_NOT_VALID) {
            ProtocolAdapter refusal = ProtocolAdapter.forVersion(version == null ? MqttVersion.MQTT_3_1_1 : version, true);
            ctx.writeAndFlush(refusal.connAck(reason, false, MqttProperties.NO_PROPERTIES))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void onFirstPacket(MqttMessage message) {
        if (message.fixedHeader().messageType() != MqttMessageType.CONNECT) {
            // [MQTT-3.1.0-1] the first packet must be CONNECT.
            if (logBudget.allow("protocol_error")) {
                LOG.info("protocol_error remote={} reason=first_packet_not_connect type={}", remoteAddress(),
                        message.fixedHeader().messageType());
            }
            broker.metrics().protocolError("first_packet_not_connect");
            closing = true;
            ctx.close();
            return;
        }
        connectTimeout.cancel(false);
        connectTimeout = null; // a cancelled task left here would cost 64 bytes per connection
        ConnectPlan connectPlan = translator.translate((MqttConnectMessage) message,
                new ClientOrigin(clientHost(), TlsIdentity.of(ctx.channel())), broker.now(), "mqtt");
        if (connectPlan instanceof ConnectPlan.Refuse refuse) {
            adapter = refuse.adapter();
            refuseConnect(refuse.reasonCode(), refuse.reason());
            return;
        }
        ConnectPlan.Accept accept = (ConnectPlan.Accept) connectPlan;
        ReasonCode refusal = ChannelAttributes.peek(ctx.channel(), ConnectionGate.REFUSE_AT_CONNECT);
        if (refusal != null) {
            adapter = accept.adapter();
            refuseConnect(refusal, "too many connections from this address per second");
            return;
        }
        plan = accept; // until CONNACK, as long as the ConnectRequest holds the credentials anyway
        clientId = accept.clientId();
        clientMaxPacketSize = accept.clientMaxPacketSize();
        connectedWithZeroExpiry = accept.sessionExpiry() == 0;
        adapter = accept.adapter();
        topicAliases = adapter.isV5() ? new TopicAliases(settings.topicAliasMaximum()) : TopicAliases.NONE;
        state = State.CONNECTING;
        // Packets that come before the session is attached are held and replayed in order.
        broker.connect(new ConnectRequest(accept.clientId(), accept.cleanStart(), accept.sessionExpiry(),
                accept.will(), accept.credentials(), accept.clientReceiveMaximum(), this));
    }

    private void refuseConnect(ReasonCode reasonCode, String reason) {
        broker.metrics().connectRejected(reasonCode.label());
        if (logBudget.allow("connect_refused")) {
            LOG.info("connect_refused client_id={} remote={} reason={} detail=\"{}\"", clientId(), remoteAddress(),
                    reasonCode.label(), reason);
        }
        closing = true;
        MqttProperties properties = MqttProperties.NO_PROPERTIES;
        if (adapter.isV5() && reason != null) {
            properties = new MqttProperties();
            Mqtt5Properties.addReasonString(properties, reason);
        }
        ctx.writeAndFlush(adapter.connAck(reasonCode, false, properties)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void onConnectOutcome(ConnectOutcome outcome) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> onConnectOutcome(outcome));
            return;
        }
        if (outcome instanceof ConnectOutcome.Rejected rejected) {
            if (state == State.CONNECTING) {
                refuseConnect(rejected.reasonCode(), rejected.reason());
            }
            return;
        }
        ConnectOutcome.Accepted accepted = (ConnectOutcome.Accepted) outcome;
        if (state != State.CONNECTING || closing) {
            // The socket went away while connecting: the session must not stay attached to it.
            accepted.session().connectionClosed(accepted.generation(), DisconnectKind.ABNORMAL, null);
            return;
        }
        session = accepted.session();
        generation = accepted.generation();
        publisher = new Publisher(plan.clientId(), session.username(), Publisher.MQTT, session.permissions());
        state = State.CONNECTED;
        MqttProperties properties = adapter.isV5()
                ? ConnAckProperties.build(plan, settings, broker.settings()) : MqttProperties.NO_PROPERTIES;
        ctx.write(adapter.connAck(ReasonCode.SUCCESS, accepted.sessionPresent(), properties));
        if (plan.keepAliveSeconds() > 0) {
            // [MQTT-3.1.2-24] allow one and a half keep-alive periods of silence.
            keepAlive = sweepers.of(ctx.executor());
            allowedSweeps = KeepAliveSweeper.allowedSweeps(plan.keepAliveSeconds());
            lastReadSweep = keepAlive.now();
            keepAlive.watch(this);
        }
        if (CONNECTIONS.isInfoEnabled()) { // the address text and the arguments array are per connection
            CONNECTIONS.info("client_connected client_id={} remote={} transport={} version={} clean_start={}"
                            + " session_present={} keep_alive={} session_expiry={}", plan.clientId(), remoteAddress(),
                    transport, adapter.version().protocolLevel(), plan.cleanStart(), accepted.sessionPresent(),
                    plan.keepAliveSeconds(), plan.sessionExpiry());
        }
        plan = null; // what the connection still needs is in fields: the plan holds credentials and the will
        processDeferred();
        ctx.flush();
        if (!throttled && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Handles packets held back while connecting or throttled, until done or throttled again. */
    private void processDeferred() {
        MqttMessage pending;
        while (!throttled && !closing && deferred != null && (pending = deferred.poll()) != null) {
            try {
                if (pending.decoderResult().isFailure()) {
                    onDecoderFailure(pending.decoderResult().cause());
                } else {
                    onPacket(pending);
                }
            } finally {
                ReferenceCountUtil.release(pending);
            }
        }
    }

    /**
     * Stop reading from this client until {@code backpressure} is relieved: a subscriber of its
     * QoS 1/2 messages is not keeping up (so nothing acknowledged has to be dropped), or it is
     * over its publish rate. Packets already read wait in order. A second reason arriving while
     * the first is pending is waited for too, after it.
     */
    private void throttle(Backpressure backpressure) {
        if (closing) {
            return;
        }
        if (throttled) {
            Backpressure earlier = alsoWaitFor;
            alsoWaitFor = earlier == null ? backpressure : () -> earlier.relieved() && backpressure.relieved();
            return;
        }
        throttled = true;
        ctx.channel().config().setAutoRead(false);
        backpressure.whenRelieved(ctx.executor(), this::resume);
    }

    private void resume() {
        if (state != State.CONNECTED || closing) {
            return;
        }
        Backpressure next = alsoWaitFor;
        alsoWaitFor = null;
        if (next != null && !next.relieved()) {
            next.whenRelieved(ctx.executor(), this::resume);
            return;
        }
        throttled = false;
        processDeferred();
        ctx.flush();
        if (!throttled) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    // ------------------------------------------------------------------ packets after CONNECT

    private void onPacket(MqttMessage message) {
        switch (message.fixedHeader().messageType()) {
            case PUBLISH -> onPublish((MqttPublishMessage) message);
            case PUBACK -> session.onPubAck(packetId(message));
            case PUBREC -> session.onPubRec(packetId(message), replyReason(message) >= 0x80);
            case PUBREL -> onPubRel(packetId(message));
            case PUBCOMP -> session.onPubComp(packetId(message));
            case SUBSCRIBE -> onSubscribe((MqttSubscribeMessage) message);
            case UNSUBSCRIBE -> onUnsubscribe((MqttUnsubscribeMessage) message);
            case PINGREQ -> reply(Packets.PINGRESP);
            case DISCONNECT -> onDisconnect(message);
            // [MQTT-3.1.0-2] a second CONNECT is a protocol error.
            case CONNECT -> closeWithError(ReasonCode.PROTOCOL_ERROR, "second CONNECT");
            case AUTH -> closeWithError(ReasonCode.PROTOCOL_ERROR, "AUTH without an authentication method");
            default -> closeWithError(ReasonCode.PROTOCOL_ERROR,
                    "unexpected packet " + message.fixedHeader().messageType());
        }
    }

    private static int packetId(MqttMessage message) {
        return ((MqttMessageIdVariableHeader) message.variableHeader()).messageId();
    }

    private static int replyReason(MqttMessage message) {
        if (message.variableHeader() instanceof MqttPubReplyMessageVariableHeader reply) {
            return reply.reasonCode() & 0xFF;
        }
        return 0;
    }

    private void onPublish(MqttPublishMessage publish) {
        handlePublish(publish);
        if (publishRate != null) {
            Backpressure wait = publishRate.take();
            if (wait != null) {
                broker.metrics().limitHit("max_publish_rate");
                throttle(wait);
            }
        }
    }

    private void handlePublish(MqttPublishMessage publish) {
        int qosValue = publish.fixedHeader().qosLevel().value();
        int packetId = publish.variableHeader().packetId();
        if (qosValue > broker.settings().maxQos().value()) {
            closeWithError(ReasonCode.QOS_NOT_SUPPORTED, "QoS " + qosValue + " not supported");
            return;
        }
        if (publish.fixedHeader().isRetain() && !broker.settings().retainAvailable()) {
            closeWithError(ReasonCode.RETAIN_NOT_SUPPORTED, "retain not supported");
            return;
        }
        String topic = publish.variableHeader().topicName();
        MqttProperties properties = publish.variableHeader().properties();
        Long expiryInterval = null;
        MessageProperties messageProperties = MessageProperties.NONE;
        if (adapter.isV5()) {
            TopicAliases.Resolution resolution = topicAliases.resolve(topic,
                    Mqtt5Properties.integer(properties, MqttPropertyType.TOPIC_ALIAS));
            if (resolution instanceof TopicAliases.Resolution.Invalid invalid) {
                closeWithError(ReasonCode.TOPIC_ALIAS_INVALID, invalid.problem());
                return;
            }
            if (resolution instanceof TopicAliases.Resolution.Unknown unknown) {
                closeWithError(ReasonCode.PROTOCOL_ERROR, "empty topic with unknown alias " + unknown.alias());
                return;
            }
            topic = ((TopicAliases.Resolution.Topic) resolution).topic();
            if (Mqtt5Properties.has(properties, MqttPropertyType.SUBSCRIPTION_IDENTIFIER)) {
                // [MQTT-3.3.4-6] only the server sends Subscription Identifiers.
                closeWithError(ReasonCode.PROTOCOL_ERROR, "PUBLISH with a Subscription Identifier");
                return;
            }
            messageProperties = Mqtt5Properties.messageProperties(properties);
            expiryInterval = Mqtt5Properties.unsignedInt(properties, MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL);
        }
        if (topic.isEmpty()) {
            // The decoder already refuses wildcards and U+0000, and the wire format caps the length;
            // the empty topic (v3, or v5 without an alias) is all that is left. The broker checks
            // the full rules once, on its publish path.
            closeWithError(ReasonCode.TOPIC_NAME_INVALID, "topic name is empty");
            return;
        }
        byte[] payload = payloadOf(publish.content());
        QoS qos = QoS.of(qosValue);
        if (messageProperties.payloadIsUtf8() && !Utf8.isValid(payload)) {
            // [MQTT-3.3.2-4] a payload declared UTF-8 that is not: refuse it.
            acknowledge(qos, packetId, ReasonCode.PAYLOAD_FORMAT_INVALID, "payload is not valid UTF-8");
            return;
        }
        // The clock only for a message with an expiry interval: most have none.
        long expiresAt = expiryInterval == null ? Message.NEVER_EXPIRES
                : Message.expiryDeadline(broker.now(), expiryInterval);
        Message message = new Message(topic, payload, qos, publish.fixedHeader().isRetain(), messageProperties,
                expiresAt);
        switch (qos) {
            case AT_MOST_ONCE -> broker.publish(message, publisher);
            case AT_LEAST_ONCE -> {
                PublishOutcome outcome = broker.publish(message, publisher);
                sendWhenStored(storedOf(outcome), adapter.pubAck(packetId, outcome.reasonCode(), reasonOf(outcome)));
                slowDownIfAsked(outcome);
            }
            case EXACTLY_ONCE -> onQos2Publish(message, packetId);
        }
    }

    /**
     * The payload's own copy. Not {@code ByteBufUtil.getBytes}: its three calls put the JDK's range
     * checks under the copy past C2's inlining depth (MaxInlineLevel, 15) from here, so every
     * PUBLISH made three real calls ({@code Class.getComponentType}, {@code Unsafe.checkOffset} and
     * {@code checkNativeAddress}; -XX:+PrintInlining, and about 2% of the event loop's time outside
     * the kernel at 1,000 msg/s in a profile).
     */
    private static byte[] payloadOf(ByteBuf content) {
        byte[] payload = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), payload, 0, payload.length);
        return payload;
    }

    /** [MQTT-4.3.3-?] route on first receipt only; a retransmitted PUBLISH just gets PUBREC again. */
    private void onQos2Publish(Message message, int packetId) {
        if (!session.receiveQos2(packetId)) {
            sendWhenStored(session.persisted(), adapter.pubRec(packetId, ReasonCode.SUCCESS, null));
            return;
        }
        if (adapter.isV5() && session.inboundQos2Pending() > settings.receiveMaximum()) {
            // [MQTT-3.3.4-9] more unacknowledged QoS 2 messages than our Receive Maximum.
            session.releaseQos2(packetId);
            closeWithError(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, "more than " + settings.receiveMaximum()
                    + " QoS 2 messages awaiting PUBREL");
            return;
        }
        PublishOutcome outcome = broker.publish(message, publisher);
        if (outcome.reasonCode().isError()) {
            session.releaseQos2(packetId); // a PUBREC with an error ends the exchange
        }
        // Exactly once across a crash: the packet id awaiting PUBREL is stored with the message.
        CompletionStage<Void> stored = session.isDurable() ? session.persisted() : storedOf(outcome);
        sendWhenStored(stored, adapter.pubRec(packetId, outcome.reasonCode(), reasonOf(outcome)));
        slowDownIfAsked(outcome);
    }

    private void slowDownIfAsked(PublishOutcome outcome) {
        if (outcome instanceof PublishOutcome.Accepted accepted && accepted.slowDown()) {
            broker.metrics().publisherThrottled();
            throttle(accepted.backpressure());
        }
    }

    private void acknowledge(QoS qos, int packetId, ReasonCode reasonCode, String reason) {
        if (qos == QoS.AT_LEAST_ONCE) {
            sendWhenStored(MessageLog.DONE, adapter.pubAck(packetId, reasonCode, reason));
        } else if (qos == QoS.EXACTLY_ONCE) {
            sendWhenStored(MessageLog.DONE, adapter.pubRec(packetId, reasonCode, reason));
        }
    }

    private static CompletionStage<Void> storedOf(PublishOutcome outcome) {
        return outcome instanceof PublishOutcome.Accepted accepted ? accepted.durable() : MessageLog.DONE;
    }

    /**
     * Sends an acknowledgement once what it acknowledges is stored, keeping acknowledgements in
     * the order of the packets they answer [MQTT-4.6.0-2, 4.6.0-3, 4.6.0-4]: one that is ready
     * waits behind an earlier one still being stored.
     */
    private void sendWhenStored(CompletionStage<Void> stored, MqttMessage reply) {
        CompletableFuture<Void> future = stored.toCompletableFuture();
        if ((pendingAcks == null || pendingAcks.isEmpty()) && future.isDone() && !future.isCompletedExceptionally()) {
            replyAfterSessionWork(reply);
            return;
        }
        if (pendingAcks == null) {
            pendingAcks = new ArrayDeque<>();
        }
        pendingAcks.add(new PendingAck(future, reply));
        future.whenComplete((ok, error) -> ctx.executor().execute(this::flushStoredAcks));
        if (pendingAcks.size() > settings.receiveMaximum()) {
            // The store is behind this client. A v5 client keeps within our Receive Maximum
            // [MQTT-3.3.4-7]; a v3 client has no such window and could queue writes (and the
            // messages in them) faster than the disk takes them, without bound. Stop reading from
            // it until half its acknowledgements are out.
            broker.metrics().limitHit("receive_maximum");
            int resumeAt = settings.receiveMaximum() / 2;
            throttle(() -> pendingAcks.size() <= resumeAt || !ctx.channel().isActive());
        }
    }

    /**
     * Writes the answer to a client's request (PINGRESP, PUBACK, SUBACK...), and stops reading from
     * a client that leaves too many of them unread, until it reads: see {@link UnreadReplies}.
     */
    private void reply(Object answer) {
        ctx.write(answer);
        if (unreadReplies.tooMany(ctx)) {
            broker.metrics().limitHit("unread_replies");
            // Closed, a channel is never writable again: stop checking then too.
            throttle(() -> ctx.channel().isWritable() || !ctx.channel().isActive());
        }
    }

    private void replyAfterSessionWork(MqttMessage ack) {
        if (acksAfterSessionWork == null) {
            acksAfterSessionWork = new ArrayDeque<>(4);
        }
        boolean first = acksAfterSessionWork.isEmpty();
        acksAfterSessionWork.add(ack);
        if (first && !reading) {
            // Outside a read (packets held while throttled, processed later): nothing else will
            // schedule the write.
            ctx.executor().execute(flushAfterSessionWork);
        }
    }

    /** Writes the ready acknowledgements held back during the read (see acksAfterSessionWork). */
    private boolean writeAcksAfterSessionWork() {
        if (acksAfterSessionWork == null || acksAfterSessionWork.isEmpty()) {
            return false;
        }
        MqttMessage ack;
        while ((ack = acksAfterSessionWork.poll()) != null) {
            if (ctx.channel().isActive()) {
                reply(ack);
            }
        }
        return true;
    }

    private void writeAcksAndFlush() {
        writeAcksAfterSessionWork();
        ctx.flush();
    }

    private void flushStoredAcks() {
        boolean wrote = writeAcksAfterSessionWork();
        while (pendingAcks != null && !pendingAcks.isEmpty() && pendingAcks.peek().stored().isDone()) {
            PendingAck ack = pendingAcks.poll();
            if (ack.stored().isCompletedExceptionally()) {
                // Never acknowledge what could not be stored: the client will send it again.
                LOG.error("storage_write_failed client_id={} remote={} action=close", clientId(), remoteAddress());
                pendingAcks.clear();
                closing = true;
                ctx.close();
                return;
            }
            if (ctx.channel().isActive()) {
                reply(ack.reply());
                wrote = true;
            }
        }
        if (wrote) {
            ctx.flush();
        }
    }

    private record PendingAck(CompletableFuture<Void> stored, MqttMessage reply) {
    }

    private static String reasonOf(PublishOutcome outcome) {
        return outcome instanceof PublishOutcome.Rejected rejected ? rejected.reason() : null;
    }

    private void onPubRel(int packetId) {
        boolean known = session.releaseQos2(packetId);
        sendWhenStored(session.persisted(),
                adapter.pubComp(packetId, known ? ReasonCode.SUCCESS : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND));
    }

    private void onSubscribe(MqttSubscribeMessage subscribe) {
        List<MqttTopicSubscription> filters = subscribe.payload().topicSubscriptions();
        if (filters.isEmpty()) {
            // [MQTT-3.8.3-3] at least one topic filter.
            closeWithError(ReasonCode.PROTOCOL_ERROR, "SUBSCRIBE without topic filters");
            return;
        }
        int subscriptionId = 0;
        if (adapter.isV5()) {
            Integer id = Mqtt5Properties.integer(subscribe.idAndPropertiesVariableHeader().properties(),
                    MqttPropertyType.SUBSCRIPTION_IDENTIFIER);
            if (id != null) {
                if (id == 0) {
                    closeWithError(ReasonCode.PROTOCOL_ERROR, "Subscription Identifier 0");
                    return;
                }
                subscriptionId = id;
            }
        }
        List<SubscriptionRequest> requests = new ArrayList<>(filters.size());
        for (MqttTopicSubscription filter : filters) {
            MqttSubscriptionOption option = filter.option();
            boolean v5 = adapter.isV5();
            if (v5 && option.isNoLocal() && SharedFilter.parse(filter.topicFilter()) != null) {
                // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
                closeWithError(ReasonCode.PROTOCOL_ERROR, "No Local on a shared subscription");
                return;
            }
            SubscriptionOptions options = new SubscriptionOptions(QoS.of(option.qos().value()),
                    v5 && option.isNoLocal(), v5 && option.isRetainAsPublished(),
                    v5 ? RetainHandling.of(option.retainHandling().value()) : RetainHandling.SEND_ON_SUBSCRIBE);
            requests.add(new SubscriptionRequest(filter.topicFilter(), options, subscriptionId));
        }
        List<ReasonCode> codes = broker.subscribe(session, requests);
        reply(adapter.subAck(subscribe.variableHeader().messageId(), codes));
    }

    private void onUnsubscribe(MqttUnsubscribeMessage unsubscribe) {
        List<String> filters = unsubscribe.payload().topics();
        if (filters.isEmpty()) {
            // [MQTT-3.10.3-2] at least one topic filter.
            closeWithError(ReasonCode.PROTOCOL_ERROR, "UNSUBSCRIBE without topic filters");
            return;
        }
        List<ReasonCode> codes = broker.unsubscribe(session, filters);
        reply(adapter.unsubAck(unsubscribe.variableHeader().messageId(), codes));
    }

    private void onDisconnect(MqttMessage disconnect) {
        int reason = 0;
        if (adapter.isV5() && disconnect.variableHeader() instanceof MqttReasonCodeAndPropertiesVariableHeader header) {
            reason = header.reasonCode() & 0xFF;
            Long expiry = Mqtt5Properties.unsignedInt(header.properties(), MqttPropertyType.SESSION_EXPIRY_INTERVAL);
            if (expiry != null) {
                if (connectedWithZeroExpiry && expiry != 0) {
                    // [MQTT-3.14.2-2] cannot turn a clean session into a persistent one at DISCONNECT.
                    closeWithError(ReasonCode.PROTOCOL_ERROR, "Session Expiry Interval set at DISCONNECT after 0");
                    return;
                }
                expiryFromDisconnect = Math.min(expiry, broker.settings().maxSessionExpirySeconds());
            }
        }
        // [MQTT-3.14.4-3] only a DISCONNECT with reason 0x00 discards the will.
        closeKind = reason == 0 ? DisconnectKind.NORMAL : DisconnectKind.WITH_WILL;
        closing = true;
        ctx.close();
    }

    /** Protocol errors and malformed packets: v5 gets DISCONNECT with the reason, v3 a close. */
    private void closeWithError(ReasonCode reasonCode, String detail) {
        if (closing) {
            return;
        }
        closing = true;
        closeKind = DisconnectKind.ABNORMAL;
        broker.metrics().protocolError(reasonCode.label());
        if (logBudget.allow("protocol_error")) {
            LOG.info("protocol_error client_id={} remote={} reason={} detail=\"{}\"", clientId(), remoteAddress(),
                    reasonCode.label(), detail);
        }
        disconnectAndClose(reasonCode, detail);
    }

    /** v5 clients that completed CONNECT get a DISCONNECT with the reason first; then close. */
    private void disconnectAndClose(ReasonCode reasonCode, String detail) {
        writeAcksAfterSessionWork(); // acknowledge what was accepted before the error
        MqttMessage disconnect = adapter == null ? null : adapter.disconnect(reasonCode, detail);
        if (disconnect != null && state == State.CONNECTED) {
            ctx.writeAndFlush(disconnect).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.flush();
            ctx.close();
        }
    }

    // ------------------------------------------------------------------ SessionConnection

    @Override
    public String transport() {
        return transport;
    }

    @Override
    public Executor executor() {
        return ctx.channel().eventLoop();
    }

    @Override
    public boolean sendPublish(OutboundPublish publish) {
        if (clientMaxPacketSize != Long.MAX_VALUE
                && OutboundPublishes.size(publish, adapter.isV5()) > clientMaxPacketSize) {
            return false;
        }
        ctx.write(OutboundPublishes.encode(ctx.alloc(), publish, adapter.isV5()), ctx.voidPromise());
        return true;
    }

    @Override
    public void sendPubRel(int packetId, ReasonCode reasonCode) {
        reply(adapter.pubRel(packetId, reasonCode)); // the answer to the client's PUBREC
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void close(ReasonCode reasonCode) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> close(reasonCode));
            return;
        }
        if (closing) {
            return;
        }
        closing = true;
        closeKind = DisconnectKind.ABNORMAL;
        LOG.info("connection_closed_by_server client_id={} remote={} reason={}", clientId(), remoteAddress(),
                reasonCode.label());
        disconnectAndClose(reasonCode, null);
    }
}
