package io.tern.transport.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.tern.core.Broker;
import io.tern.core.metrics.BrokerMetrics;
import io.tern.mqtt.MqttTail;
import io.tern.netty.ConnectionGate;
import io.tern.netty.ConnectionLimiter;
import io.tern.netty.EventLoops;
import io.tern.netty.ListenerChannels;
import io.tern.netty.TlsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * MQTT over WebSocket: HTTP upgrade on the configured path, binary frames to bytes, then the
 * same MQTT tail as TCP. No MQTT logic lives here.
 */
public final class WebSocketListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketListener.class);
    /** [MQTT-6.0.0-3] "mqtt" for 3.1.1 and 5.0, "mqttv3.1" for 3.1; "mqttv3.1.1" is seen in the wild. */
    static final String SUBPROTOCOLS = "mqtt,mqttv3.1,mqttv3.1.1";
    private static final int MAX_UPGRADE_REQUEST_BYTES = 8192;

    private final WebSocketSettings settings;
    private final MqttTail tail;
    private final EventLoops loops;
    private final BrokerMetrics metrics;
    private final ConnectionLimiter limiter;
    private final UnreadPongs unreadPongs;
    private final ListenerChannels channels = new ListenerChannels("tern-ws");

    private final TlsContext tls;

    public WebSocketListener(WebSocketSettings settings, Broker broker, MqttTail tail, EventLoops loops) {
        this(settings, broker, tail, loops, null, null);
    }

    /**
     * @param tls            secure WebSocket (wss) when not null
     * @param connectionGate per-IP limits shared with the other MQTT listeners, or null
     */
    public WebSocketListener(WebSocketSettings settings, Broker broker, MqttTail tail, EventLoops loops,
                             TlsContext tls, ConnectionGate connectionGate) {
        this.tls = tls;
        this.settings = settings;
        this.tail = tail;
        this.loops = loops;
        this.metrics = broker.metrics();
        this.limiter = new ConnectionLimiter(settings.maxConnections(), metrics, connectionGate);
        this.unreadPongs = new UnreadPongs(metrics);
    }

    public InetSocketAddress start() throws InterruptedException {
        metrics.expectDeliveriesOver(transport());
        WebSocketServerProtocolConfig protocol = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(settings.path())
                .subprotocols(SUBPROTOCOLS)
                .checkStartsWith(false)
                .maxFramePayloadLength(settings.maxFrameBytes())
                .allowExtensions(false)
                .handleCloseFrames(true)
                .sendCloseFrame(WebSocketCloseStatus.NORMAL_CLOSURE)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(settings.upgradeTimeoutMillis())
                .build();
        InetSocketAddress bound = channels.bind(loops, settings.host(), settings.port(), tls, channel -> {
            // With the gate: counted by the socket's peer, behind a proxy that is the proxy, so
            // raise the per-address limit there.
            channel.pipeline().addLast("connection-limit", limiter);
            channel.pipeline()
                .addLast("http-codec", new HttpServerCodec())
                .addLast("http-aggregator", new HttpObjectAggregator(MAX_UPGRADE_REQUEST_BYTES))
                .addLast("upgrade-timeout", new IdleStateHandler(settings.upgradeTimeoutMillis(), 0, 0,
                        TimeUnit.MILLISECONDS))
                .addLast("upgrade-guard", new UpgradeGuard(settings))
                // Sees the frames once upgraded: the handshake puts the frame decoder in the
                // HTTP codec's place, ahead of it.
                .addLast("ws-unread-pongs", unreadPongs)
                .addLast("ws-protocol", new WebSocketServerProtocolHandler(protocol))
                .addLast("ws-aggregator", new WebSocketFrameAggregator(settings.maxMessageBytes()))
                .addLast("ws-upgraded", new OnUpgrade());
        });
        LOG.info("listener_started protocol=mqtt transport=websocket tls={} address={}:{} path={}", tls != null,
                bound.getHostString(), bound.getPort(), settings.path());
        return bound;
    }

    private String transport() {
        return tls == null ? "ws" : "wss";
    }

    /** Until the upgrade: closes idle sockets. After it: swaps itself for the frame codec and the MQTT tail. */
    private final class OnUpgrade extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                ChannelPipeline pipeline = ctx.pipeline();
                pipeline.remove("upgrade-timeout");
                pipeline.remove(this);
                pipeline.addLast("ws-frames-in", new FrameCodec.Inbound());
                pipeline.addLast("ws-frames-out", new FrameCodec.Outbound());
                tail.install(pipeline, transport());
                return;
            }
            if (event instanceof IdleStateEvent) {
                LOG.debug("websocket_upgrade_timeout remote={}", ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(event);
        }
    }

    public void stopAccepting() {
        channels.stopAccepting();
    }

    public int openConnections() {
        return limiter.open();
    }

    @Override
    public void close() {
        channels.close();
    }
}
