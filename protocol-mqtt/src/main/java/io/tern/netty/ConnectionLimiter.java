package io.tern.netty;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.tern.core.metrics.BrokerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closes connections beyond the configured maximum as they are accepted, before any MQTT is
 * read, so a flood of sockets cannot exhaust the broker's memory or file descriptors.
 *
 * <p>It leaves the pipeline once the connection is admitted and counts it down from the close
 * future instead: a handler context for the life of every connection would cost 64 bytes each.
 * An MQTT listener's limiter also asks the broker-wide {@link ConnectionGate}, so one handler and
 * one close listener serve both.
 */
@ChannelHandler.Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final BrokerMetrics metrics;
    private final ConnectionGate gate;

    /** A listener's own limit only (the HTTP bridge). */
    public ConnectionLimiter(int max, BrokerMetrics metrics) {
        this(max, metrics, null);
    }

    /** @param gate the limits over all MQTT listeners, or null */
    public ConnectionLimiter(int max, BrokerMetrics metrics, ConnectionGate gate) {
        this.max = max;
        this.metrics = metrics;
        this.gate = gate != null && gate.isActive() ? gate : null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            metrics.connectRejected("connection_limit");
            LOG.warn("connection_limit_reached limit={} remote={}", max, ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        if (gate != null && !gate.admit(ctx.channel())) {
            open.decrementAndGet();
            ctx.close();
            return;
        }
        ctx.channel().closeFuture().addListener(this);
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    /** The close future of an admitted connection. */
    @Override
    public void operationComplete(ChannelFuture closed) {
        open.decrementAndGet();
        if (gate != null) {
            gate.release(closed.channel());
        }
    }

    public int open() {
        return open.get();
    }
}
