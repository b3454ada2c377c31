package io.tern.app;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.tern.netty.EventLoops;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Connects, waits for CONNACK and leaves, over and over, so the accept, CONNECT, session set-up
 * and close paths are compiled before real clients come. Cold, the C2 compiler took 45% of a
 * one-core broker's CPU while 19,000 clients connected, and the connect rate was 2,100/s against
 * 3,900/s warm; its native memory also showed up as resident memory of the connections.
 *
 * <p>Half the clients leave by resetting the connection (SO_LINGER 0), as a crashed client would,
 * a quarter just close it, and a quarter first subscribe, publish at QoS 0 and 1, ping and
 * unsubscribe, then send DISCONNECT: run alongside the message warm-up, this keeps what a new client does first in the
 * profiles the JIT compiles from. Left out, those branches were compiled as never taken, and the
 * first real client's SUBSCRIBE threw the compiled publish path away. v3.1.1 and v5; clean and
 * persistent sessions; exact, {@code +} and {@code #} filters. A few connections at a time, so the
 * warm-up is quick but never a connection storm.
 *
 * <p>Then, with the messages done, {@link #hold} connects clients that stay, as a storm of real
 * clients does: their first C2 compiles, on the event loop's core, had come with the first real
 * storm (connect rate 10-20% below the warm broker's).
 */
final class ConnectionWarmUp {
    /** Cycles in flight at once. */
    private static final int WINDOW = 8;
    /** Connects between two looks at the JIT's backlog ({@link JitBacklog}). */
    private static final int PACE_EVERY = 64;
    /** Cycles between two listeners opened and closed ({@link #run}). */
    private static final int LISTENER_EVERY = 256;
    private static final AttributeKey<Boolean> ANSWERED = AttributeKey.valueOf("tern.warm-up.answered");
    /** The packets a polite client sends after CONNACK. */
    private static final AttributeKey<byte[]> AFTER_CONNACK = AttributeKey.valueOf("tern.warm-up.after-connack");
    private static final byte[] NOTHING = {};

    private ConnectionWarmUp() {
    }

    /**
     * Runs up to {@code cycles} cycles, stopping at {@code deadlineNanos}, and {@code listenerCycle}
     * every {@link #LISTENER_EVERY} of them; returns how many completed.
     */
    static int run(EventLoops loops, InetSocketAddress address, int cycles, long deadlineNanos,
                   Callable<?> listenerCycle) throws InterruptedException {
        AtomicInteger completed = new AtomicInteger();
        Bootstrap polite = bootstrap(loops, false, new Cycle(false, completed));
        Bootstrap abrupt = bootstrap(loops, true, new Cycle(true, completed));
        Semaphore window = new Semaphore(WINDOW);
        connectAll(address, window, cycles, deadlineNanos, JitBacklog.PACE_LIMIT, cycle -> {
            if (cycle % LISTENER_EVERY == LISTENER_EVERY - 1) {
                callUnchecked(listenerCycle);
            }
            // Every combination over 32 cycles: how it leaves (reset, plain close, visit, reset),
            // the version, and a persistent session for one in four.
            boolean reset = (cycle & 1) == 1;
            boolean v5 = (cycle / 4 & 1) == 1;
            boolean cleanStart = cycle / 8 % 4 != 3;
            byte[] connect = RawPackets.connect(v5 ? 5 : 4, "warm-up-connection-" + cycle, cleanStart);
            Bootstrap bootstrap = reset ? abrupt
                    : polite.clone().attr(AFTER_CONNACK, cycle % 4 == 0 ? NOTHING : visit(cycle, v5));
            return new Attempt(bootstrap, connect);
        }, channel -> channel.closeFuture().addListener(closed -> window.release()));
        return completed.get();
    }

    /**
     * Connects {@code count} clients that stay (keep alive 60 s) until the last is in, then closes
     * them all: what a connection storm does to the broker, and what the cycles never do. Returns
     * how many were answered.
     */
    static int hold(EventLoops loops, InetSocketAddress address, int count, long deadlineNanos)
            throws InterruptedException {
        List<Channel> held = new ArrayList<>(count);
        Semaphore window = new Semaphore(WINDOW);
        Stay stay = new Stay(window);
        Bootstrap bootstrap = bootstrap(loops, false, stay);
        // Paced to an idle compiler: a method called once per connect reaches C2's threshold
        // (5,000 calls, times 1 + queue / 3) here or, with tasks queued, only in the real storm.
        connectAll(address, window, count, deadlineNanos, 1,
                i -> new Attempt(bootstrap, RawPackets.connect(i % 2 == 0 ? 4 : 5, "warm-up-held-" + i, true)),
                channel -> {
                    synchronized (held) {
                        held.add(channel);
                    }
                });
        List<ChannelFuture> closing = new ArrayList<>(count);
        synchronized (held) {
            for (Channel channel : held) {
                closing.add(channel.close()); // all at once: one by one, each waits for a loop's turn
            }
        }
        for (ChannelFuture closed : closing) {
            closed.awaitUninterruptibly(1_000);
        }
        return stay.answered.get();
    }

    private static void callUnchecked(Callable<?> step) {
        try {
            step.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A connect to make: how, and the CONNECT packet to send. */
    private record Attempt(Bootstrap bootstrap, byte[] connect) {
    }

    /**
     * Makes {@code count} connects, as many at a time as {@code window} ({@link #WINDOW}) allows,
     * pausing now and then until fewer than {@code jitLimit} C2 tasks are queued ({@link JitBacklog});
     * the caller frees each place in the window ({@code connected}, or its handler). Waits for the
     * last ones, so none outlives the throwaway broker.
     */
    private static void connectAll(InetSocketAddress address, Semaphore window, int count, long deadlineNanos,
                                   int jitLimit,
                                   IntFunction<Attempt> attempts, Consumer<Channel> connected)
            throws InterruptedException {
        for (int i = 0; i < count; i++) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !window.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                break;
            }
            if (i % PACE_EVERY == PACE_EVERY - 1) {
                JitBacklog.awaitBelow(jitLimit, deadlineNanos);
            }
            Attempt attempt = attempts.apply(i);
            attempt.bootstrap().connect(address).addListener((ChannelFutureListener) future -> {
                if (!future.isSuccess()) {
                    window.release();
                    return;
                }
                Channel channel = future.channel();
                connected.accept(channel);
                channel.writeAndFlush(Unpooled.wrappedBuffer(attempt.connect()), channel.voidPromise());
            });
        }
        long left = Math.max(0, deadlineNanos - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1);
        window.tryAcquire(WINDOW, left, TimeUnit.NANOSECONDS);
    }

    /** What a polite client does once connected: subscribe, publish, ping, unsubscribe, leave. */
    private static byte[] visit(int cycle, boolean v5) {
        // Not under the message warm-up's filters, whose deliveries it counts.
        String topic = "tern/warm-up-visit/" + cycle + "/t";
        String filter = switch (cycle % 3) {
            case 0 -> topic;
            case 1 -> "tern/warm-up-visit/" + cycle + "/+";
            default -> "tern/warm-up-visit/" + cycle + "/#";
        };
        byte[] payload = new byte[16];
        return RawPackets.concat(RawPackets.subscribe(v5, 1, filter, 1), RawPackets.publish(v5, topic, 0, 0, payload),
                RawPackets.publish(v5, topic, 1, 2, payload), RawPackets.PINGREQ, RawPackets.unsubscribe(v5, 3, filter),
                RawPackets.DISCONNECT);
    }

    private static Bootstrap bootstrap(EventLoops loops, boolean reset, ChannelHandler handler) {
        Bootstrap bootstrap = new Bootstrap().group(loops.workers()).channel(loops.clientChannelType())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(handler);
        if (reset) {
            bootstrap.option(ChannelOption.SO_LINGER, 0);
        }
        return bootstrap;
    }

    /**
     * On the CONNACK (whatever the broker answers first), leaves: politely, after a visit, or by
     * resetting the connection. Later answers are read and dropped.
     */
    @ChannelHandler.Sharable
    private static final class Cycle extends ChannelInboundHandlerAdapter {
        private final boolean reset;
        private final AtomicInteger completed;

        Cycle(boolean reset, AtomicInteger completed) {
            this.reset = reset;
            this.completed = completed;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (!ctx.channel().isOpen() || ctx.channel().attr(ANSWERED).getAndSet(Boolean.TRUE) != null) {
                return;
            }
            completed.incrementAndGet();
            byte[] after = reset ? NOTHING : ctx.channel().attr(AFTER_CONNACK).get();
            if (after.length == 0) {
                ctx.close(); // the broker reads a reset or, without SO_LINGER 0, the end of the stream
            } else {
                // Ends with DISCONNECT: the broker reads all of it, answers what it can, and closes.
                ctx.writeAndFlush(Unpooled.wrappedBuffer(after))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Keeps the connection; frees its place in the window at CONNACK, or at close without one. */
    @ChannelHandler.Sharable
    private static final class Stay extends ChannelInboundHandlerAdapter {
        private final AtomicInteger answered = new AtomicInteger();
        private final Semaphore window;

        Stay(Semaphore window) {
            this.window = window;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (ctx.channel().attr(ANSWERED).getAndSet(Boolean.TRUE) == null) {
                answered.incrementAndGet();
                window.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel().attr(ANSWERED).getAndSet(Boolean.TRUE) == null) {
                window.release();
            }
            ctx.fireChannelInactive();
        }
    }
}
