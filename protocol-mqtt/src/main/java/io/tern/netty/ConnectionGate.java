package io.tern.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.tern.core.ReasonCode;
import io.tern.core.metrics.BrokerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits over every MQTT listener together: open connections in total and per IP (more are
 * closed on accept, before any bytes are read), and new connections per second per IP (more are
 * answered at CONNECT with v5 0x9F Connection rate exceeded, v3 0x03, then closed). One instance
 * is shared by all MQTT listeners.
 */
@ChannelHandler.Sharable
public final class ConnectionGate extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    /** Set on a connection that must be refused at CONNECT with this reason. */
    public static final AttributeKey<ReasonCode> REFUSE_AT_CONNECT = AttributeKey.valueOf("tern.refuse.at.connect");
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGate.class);

    private final int maxTotal;
    private final java.util.concurrent.atomic.AtomicInteger total = new java.util.concurrent.atomic.AtomicInteger();
    private final int maxPerAddress;
    private final int ratePerSecond;
    private final BrokerMetrics metrics;
    private final Map<InetAddress, Usage> usage = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger sinceSweep = new java.util.concurrent.atomic.AtomicInteger();

    /** Open connections and a one-second window of new ones, per address. */
    private static final class Usage {
        int open;
        long windowStartNanos;
        int inWindow;
    }

    /**
     * @param maxTotal      open connections over all MQTT listeners (0: unlimited)
     * @param maxPerAddress open connections per IP (0: unlimited)
     * @param ratePerSecond new connections per IP per second (0: unlimited)
     */
    public ConnectionGate(int maxTotal, int maxPerAddress, int ratePerSecond, BrokerMetrics metrics) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
        this.ratePerSecond = ratePerSecond;
        this.metrics = metrics;
    }

    public boolean isActive() {
        return maxTotal > 0 || maxPerAddress > 0 || ratePerSecond > 0;
    }

    /**
     * Counts an admitted connection and leaves the pipeline; the close future counts it down
     * ({@link #operationComplete}), so no handler context or attribute stays with each
     * connection. Admitted means counted in the total (when limited) and, when the peer has an
     * IP address, in that address's usage.
     */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (maxTotal > 0) {
            if (total.incrementAndGet() > maxTotal) {
                total.decrementAndGet();
                metrics.limitHit("max_connections");
                LOG.warn("connection_limit_reached limit={} scope=all_mqtt_listeners", maxTotal);
                ctx.close();
                return;
            }
        }
        InetAddress address = addressOf(ctx.channel());
        if (address == null) {
            admit(ctx);
            return;
        }
        if (sinceSweep.incrementAndGet() >= 4096) {
            sinceSweep.set(0);
            forgetIdleAddresses();
        }
        boolean[] overOpen = new boolean[1];
        boolean[] overRate = new boolean[1];
        usage.compute(address, (key, current) -> {
            Usage u = current == null ? new Usage() : current;
            if (maxPerAddress > 0 && u.open >= maxPerAddress) {
                overOpen[0] = true;
                return current;
            }
            u.open++;
            long now = System.nanoTime();
            if (now - u.windowStartNanos >= 1_000_000_000L) {
                u.windowStartNanos = now;
                u.inWindow = 0;
            }
            if (ratePerSecond > 0 && ++u.inWindow > ratePerSecond) {
                overRate[0] = true;
            }
            return u;
        });
        if (overOpen[0]) {
            if (maxTotal > 0) {
                total.decrementAndGet();
            }
            metrics.limitHit("max_connections_per_address");
            LOG.debug("address_connection_limit address={} limit={}", address.getHostAddress(), maxPerAddress);
            ctx.close();
            return;
        }
        if (overRate[0]) {
            metrics.limitHit("max_connection_rate_per_address");
            ctx.channel().attr(REFUSE_AT_CONNECT).set(ReasonCode.CONNECTION_RATE_EXCEEDED);
        }
        admit(ctx);
    }

    private void admit(ChannelHandlerContext ctx) {
        ctx.channel().closeFuture().addListener(this);
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    private static InetAddress addressOf(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress remote ? remote.getAddress() : null;
    }

    /** The close future of an admitted connection: undo what {@link #channelActive} counted. */
    @Override
    public void operationComplete(ChannelFuture closed) {
        if (maxTotal > 0) {
            total.decrementAndGet();
        }
        InetAddress address = addressOf(closed.channel());
        if (address != null) {
            usage.computeIfPresent(address, (key, u) -> {
                u.open--;
                return u.open <= 0 && (ratePerSecond == 0 || windowOver(u)) ? null : u;
            });
        }
    }

    /** An address's count stays while its rate window is open, so connect-and-close cannot reset it. */
    private static boolean windowOver(Usage u) {
        return System.nanoTime() - u.windowStartNanos >= 1_000_000_000L;
    }

    private void forgetIdleAddresses() {
        for (InetAddress address : usage.keySet()) {
            usage.computeIfPresent(address, (key, u) -> u.open <= 0 && windowOver(u) ? null : u);
        }
    }

    /** Addresses tracked now (for tests). */
    int trackedAddresses() {
        return usage.size();
    }
}
