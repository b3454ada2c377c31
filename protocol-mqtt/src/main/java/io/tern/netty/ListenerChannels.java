package io.tern.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * The sockets of one Netty listener: its server channel, bound with the options every listener
 * shares, and the connections it accepted, so it can stop accepting and later close them all.
 */
public final class ListenerChannels implements AutoCloseable {
    /**
     * Outbound bytes buffered per connection before it reports "not writable"; past that a
     * session queues (bounded) instead of growing the socket buffer.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);
    /**
     * One read-size policy for every connection (each still gets its own handle): Netty would
     * otherwise make an identical allocator object per connection.
     */
    private static final AdaptiveRecvByteBufAllocator READ_SIZES = new AdaptiveRecvByteBufAllocator();

    private final ChannelGroup accepted;
    private Channel server;

    public ListenerChannels(String name) {
        this.accepted = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
    }

    /**
     * Binds {@code host:port} (0 picks a free port) with low-latency, keep-alive child sockets;
     * {@code pipeline} sets up each accepted connection. Returns the bound address.
     */
    public InetSocketAddress bind(EventLoops loops, String host, int port, Consumer<SocketChannel> pipeline)
            throws InterruptedException {
        return bind(loops, host, port, null, pipeline);
    }

    /** As above, with TLS in front of every connection when {@code tls} is not null. */
    public InetSocketAddress bind(EventLoops loops, String host, int port, TlsContext tls,
                                  Consumer<SocketChannel> pipeline) throws InterruptedException {
        server = new ServerBootstrap()
                .group(loops.boss(), loops.workers())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, READ_SIZES)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        accepted.add(channel);
                        pipeline.accept(channel);
                        if (tls != null) {
                            tls.install(channel);
                        }
                    }
                })
                .bind(host, port).sync().channel();
        return (InetSocketAddress) server.localAddress();
    }

    /** Stops accepting; open connections stay. */
    public void stopAccepting() {
        if (server != null) {
            server.close().awaitUninterruptibly();
        }
    }

    /** Stops accepting and closes every accepted connection still open. */
    @Override
    public void close() {
        stopAccepting();
        accepted.close().awaitUninterruptibly(3_000);
    }
}
