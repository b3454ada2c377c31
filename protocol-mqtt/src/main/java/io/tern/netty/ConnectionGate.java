package io.tern.netty;

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
public final class ConnectionGate extends ChannelInboundHandlerAdapter {
    /** Set on a connection that must be refused at CONNECT with this reason. */
    public static final AttributeKey<ReasonCode> REFUSE_AT_CONNECT = AttributeKey.valueOf("tern.refuse.at.connect");
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("tern.address.counted");
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

    private static final AttributeKey<Boolean> IN_TOTAL = AttributeKey.valueOf("tern.connection.in.total");

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
            ctx.channel().attr(IN_TOTAL).set(Boolean.TRUE);
        }
        if (!(ctx.channel().remoteAddress() instanceof InetSocketAddress remote) || remote.getAddress() == null) {
            ctx.fireChannelActive();
            return;
        }
        InetAddress address = remote.getAddress();
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
            metrics.limitHit("max_connections_per_address");
            LOG.debug("address_connection_limit address={} limit={}", address.getHostAddress(), maxPerAddress);
            ctx.close();
            return;
        }
        ctx.channel().attr(COUNTED).set(address);
        if (overRate[0]) {
            metrics.limitHit("max_connection_rate_per_address");
            ctx.channel().attr(REFUSE_AT_CONNECT).set(ReasonCode.CONNECTION_RATE_EXCEEDED);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel().attr(IN_TOTAL).getAndSet(null) != null) {
            total.decrementAndGet();
        }
        InetAddress address = ctx.channel().attr(COUNTED).getAndSet(null);
        if (address != null) {
            usage.computeIfPresent(address, (key, u) -> {
                u.open--;
                return u.open <= 0 && (ratePerSecond == 0 || windowOver(u)) ? null : u;
            });
        }
        ctx.fireChannelInactive();
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
