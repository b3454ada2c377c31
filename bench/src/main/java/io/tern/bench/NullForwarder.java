package io.tern.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A control for latency measurements, not a broker: the least an MQTT 3.1.1 forwarder on Netty's
 * transport (epoll where there is one, as the broker) can do for the {@code latency} scenario.
 * One event loop; CONNACK to CONNECT, SUBACK (as asked) to SUBSCRIBE, each PUBLISH's bytes to
 * every subscribed connection, then the PUBACK; no topics, sessions, queues, checks or metrics. Measured next to Tern and Mosquitto, it
 * shows what the JVM and Netty themselves cost per message, and what is the broker's own.
 *
 * <pre>java -cp bench/target/tern-bench.jar io.tern.bench.NullForwarder PORT</pre>
 * Warm it (a generator run against it) before measuring, as Tern warms itself.
 */
public final class NullForwarder implements AutoCloseable {
    private final boolean epoll = Epoll.isAvailable();
    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
            epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    /** Touched only on the one event loop. */
    private final List<Channel> subscribers = new ArrayList<>();
    private final Channel server;

    public NullForwarder(int port) throws InterruptedException {
        server = new ServerBootstrap().group(loop)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new Packets());
                        channel.closeFuture().addListener(closed -> subscribers.remove(channel));
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    public static void main(String[] args) throws InterruptedException {
        NullForwarder forwarder = new NullForwarder(args.length > 0 ? Integer.parseInt(args[0]) : 1883);
        System.out.println("null_forwarder_listening port=" + forwarder.port());
        forwarder.server.closeFuture().sync();
    }

    private final class Packets extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (true) {
                int start = in.readerIndex();
                int lengthAt = start + 1;
                int length = 0;
                int shift = 0;
                int digit;
                do {
                    if (lengthAt >= in.writerIndex() || shift > 21) {
                        return; // the fixed header is not all here yet (or is malformed: wait for close)
                    }
                    digit = in.getUnsignedByte(lengthAt++);
                    length |= (digit & 0x7f) << shift;
                    shift += 7;
                } while ((digit & 0x80) != 0);
                if (in.writerIndex() - lengthAt < length) {
                    return;
                }
                handle(ctx, in, start, in.getUnsignedByte(start), lengthAt, length);
                in.readerIndex(lengthAt + length);
            }
        }

        private void handle(ChannelHandlerContext ctx, ByteBuf in, int start, int first, int body, int length) {
            switch (first >> 4) {
                case 1 -> ctx.writeAndFlush(ctx.alloc().buffer(4).writeByte(0x20).writeByte(2).writeShort(0));
                case 3 -> {
                    for (Channel subscriber : subscribers) {
                        subscriber.writeAndFlush(in.retainedSlice(start, body + length - start));
                    }
                    if ((first >> 1 & 3) == 1) {
                        int packetId = in.getUnsignedShort(body + 2 + in.getUnsignedShort(body));
                        ctx.writeAndFlush(ctx.alloc().buffer(4).writeByte(0x40).writeByte(2).writeShort(packetId));
                    }
                }
                case 8 -> {
                    ByteBuf subAck = ctx.alloc().buffer().writeByte(0x90).writeByte(0).writeShort(in.getUnsignedShort(body));
                    for (int at = body + 2; at < body + length; ) {
                        at += 2 + in.getUnsignedShort(at);
                        subAck.writeByte(in.getUnsignedByte(at++) & 3);
                    }
                    subAck.setByte(1, subAck.readableBytes() - 2);
                    subscribers.add(ctx.channel());
                    ctx.writeAndFlush(subAck);
                }
                case 12 -> ctx.writeAndFlush(ctx.alloc().buffer(2).writeByte(0xD0).writeByte(0));
                case 14 -> ctx.close();
                default -> {
                    // PUBACKs from subscribers and anything else: nothing to do.
                }
            }
        }
    }
}
