package io.tern.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Event loop groups shared by every Netty listener (MQTT over TCP and WebSocket, the HTTP
 * bridge): native epoll on Linux when its library loads, NIO otherwise.
 */
public final class EventLoops implements AutoCloseable {
    private final boolean epoll;
    private final EventLoopGroup boss;
    private final MultiThreadIoEventLoopGroup workers;

    /**
     * The event-loop count when none is configured: one per two cores the process may use, at
     * least one. A delivery between sessions on different loops is a task handed to the other
     * loop's thread, which must be woken for it; on two cores that hand-off doubled the median
     * latency at 1,000 msg/s, put the p99.9 at 1.1-1.8 ms against 0.25 ms on one loop, and halved
     * the messages per CPU-second. The other cores run the JVM's compiler and collector threads,
     * the storage writer, and often the clients themselves: a generator flooding two loops on
     * the same two cores starved its own subscriber (8,500-100,000 msg/s delivered against
     * 420,000 on one loop). One loop already carries several times Mosquitto's whole load.
     */
    public static int defaultThreads(int cores) {
        return Math.max(1, cores / 2);
    }

    public EventLoops(int ioThreads) {
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.workers = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("tern-io", true), factory);
        // Accepting on a worker loop saves a hand-off between threads per connection (7% more
        // connects/s on one core); accepted channels are still spread over all workers.
        this.boss = workers;
    }

    public int threads() {
        return workers.executorCount();
    }

    public boolean isEpoll() {
        return epoll;
    }

    public EventLoopGroup boss() {
        return boss;
    }

    public EventLoopGroup workers() {
        return workers;
    }

    public Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** For connections the broker makes itself (the start-up warm-up). */
    public Class<? extends SocketChannel> clientChannelType() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    @Override
    public void close() {
        boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        boss.terminationFuture().awaitUninterruptibly(5_000);
        workers.terminationFuture().awaitUninterruptibly(5_000);
    }
}
