package io.tern.transport.tcp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.tern.core.Broker;
import io.tern.mqtt.MqttTail;
import io.tern.netty.ConnectionLimiter;
import io.tern.netty.EventLoops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/** MQTT over TCP: accepts sockets and hands them straight to the MQTT tail. */
public final class TcpListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);
    /**
     * Outbound bytes buffered per connection before it reports "not writable"; past that the
     * session queues (bounded) instead of growing the socket buffer: a slow reader costs at most
     * this plus its session queue.
     */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private final TcpSettings settings;
    private final MqttTail tail;
    private final EventLoops loops;
    private final ConnectionLimiter limiter;
    private final ChannelGroup channels = new DefaultChannelGroup("tern-tcp", GlobalEventExecutor.INSTANCE);
    private Channel serverChannel;

    public TcpListener(TcpSettings settings, Broker broker, MqttTail tail, EventLoops loops) {
        this.settings = settings;
        this.tail = tail;
        this.loops = loops;
        this.limiter = new ConnectionLimiter(settings.maxConnections(), broker.metrics());
    }

    /** Binds and returns the bound address (port 0 resolves to the real port). */
    public InetSocketAddress start() throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.boss(), loops.workers())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channels.add(channel);
                        channel.pipeline().addLast("connection-limit", limiter);
                        tail.install(channel.pipeline(), "tcp");
                    }
                });
        serverChannel = bootstrap.bind(settings.host(), settings.port()).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        LOG.info("listener_started protocol=mqtt transport=tcp address={}:{} epoll={}",
                bound.getHostString(), bound.getPort(), loops.isEpoll());
        return bound;
    }

    /** Stops accepting; existing connections stay until the broker disconnects them. */
    public void stopAccepting() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
    }

    public int openConnections() {
        return limiter.open();
    }

    /** Closes every connection still open (after the broker has said goodbye). */
    @Override
    public void close() {
        stopAccepting();
        channels.close().awaitUninterruptibly(3_000);
    }
}
