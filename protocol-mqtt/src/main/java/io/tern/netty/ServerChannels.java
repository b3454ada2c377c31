package io.tern.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;

/** Binds the server sockets of every Netty listener with the same options. */
public final class ServerChannels {
    /**
     * Outbound bytes buffered per connection before it reports "not writable"; past that a
     * session queues (bounded) instead of growing the socket buffer.
     */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private ServerChannels() {
    }

    /** Binds {@code host:port} (0 picks a free port) with low-latency, keep-alive child sockets. */
    public static Channel bind(EventLoops loops, String host, int port, ChannelHandler childInitializer)
            throws InterruptedException {
        return new ServerBootstrap()
                .group(loops.boss(), loops.workers())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(childInitializer)
                .bind(host, port).sync().channel();
    }
}
