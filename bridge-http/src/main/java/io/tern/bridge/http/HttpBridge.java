package io.tern.bridge.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.tern.core.Broker;
import io.tern.netty.EventLoops;
import io.tern.netty.ServerChannels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/** The HTTP bridge listener: publish over HTTP, health and Prometheus metrics. */
public final class HttpBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpBridge.class);

    private final HttpBridgeSettings settings;
    private final EventLoops loops;
    private final HttpBridgeHandler handler;
    private final ChannelGroup channels = new DefaultChannelGroup("tern-http", GlobalEventExecutor.INSTANCE);
    private Channel serverChannel;

    /**
     * @param health  what {@code GET /health} reports
     * @param metrics the Prometheus text exposition for {@code GET /metrics}
     */
    public HttpBridge(HttpBridgeSettings settings, Broker broker, EventLoops loops, Supplier<HealthReport> health,
                      Supplier<String> metrics) {
        this.settings = settings;
        this.loops = loops;
        this.handler = new HttpBridgeHandler(broker, health, metrics, settings.maxConcurrentRequests());
    }

    public InetSocketAddress start() throws InterruptedException {
        serverChannel = ServerChannels.bind(loops, settings.host(), settings.port(), new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                if (channels.size() >= settings.maxConnections()) {
                    LOG.warn("connection_limit_reached listener=http limit={}", settings.maxConnections());
                    channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            ctx.close();
                        }
                    });
                    return;
                }
                channels.add(channel);
                channel.pipeline()
                        .addLast("http-codec", new HttpServerCodec())
                        .addLast("http-keep-alive", new HttpServerKeepAliveHandler())
                        .addLast("http-body-limit", new BodyLimit(settings.maxBodyBytes()))
                        .addLast("http-bridge", handler);
            }
        });
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        LOG.info("listener_started protocol=http address={}:{}", bound.getHostString(), bound.getPort());
        return bound;
    }

    public void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
    }

    @Override
    public void close() {
        stopAccepting();
        channels.close().awaitUninterruptibly(3_000);
    }
}
