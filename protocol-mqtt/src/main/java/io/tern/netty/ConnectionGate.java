package io.tern.netty;

import io.netty.channel.Channel;
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
 * is shared by all MQTT listeners; each listener's {@link ConnectionLimiter} asks it.
 */
public final class ConnectionGate {
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
        /** Removed from the map; a connection that still found it counts in a new one. */
        boolean dropped;
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
     * Counts a new connection, or refuses it: false means the caller must close it. Admitted
     * means counted in the total (when limited) and, when the peer has an IP address, in that
     * address's usage; {@link #release} undoes it when the connection closes. Called from the
     * listener's {@link ConnectionLimiter}, so one close listener serves both.
     */
    boolean admit(Channel channel) {
        if (maxTotal > 0) {
            if (total.incrementAndGet() > maxTotal) {
                total.decrementAndGet();
                metrics.limitHit("max_connections");
                LOG.warn("connection_limit_reached limit={} scope=all_mqtt_listeners", maxTotal);
                return false;
            }
        }
        InetAddress address = addressOf(channel);
        if (address == null) {
            return true;
        }
        if (sinceSweep.incrementAndGet() >= 4096) {
            sinceSweep.set(0);
            forgetIdleAddresses();
        }
        Verdict verdict = count(address);
        if (verdict == Verdict.OVER_OPEN) {
            if (maxTotal > 0) {
                total.decrementAndGet();
            }
            metrics.limitHit("max_connections_per_address");
            LOG.debug("address_connection_limit address={} limit={}", address.getHostAddress(), maxPerAddress);
            return false;
        }
        if (verdict == Verdict.OVER_RATE) {
            metrics.limitHit("max_connection_rate_per_address");
            channel.attr(REFUSE_AT_CONNECT).set(ReasonCode.CONNECTION_RATE_EXCEEDED);
        }
        return true;
    }

    private enum Verdict { ADMITTED, OVER_OPEN, OVER_RATE }

    /**
     * Counts a connection from {@code address} under the lock of its usage. A usage found here may
     * have just been dropped from the map by {@link #release} (its last connection closed): it is
     * marked so, and the count goes to a fresh one. No lambda captures a result, so admitting a
     * connection allocates nothing here once its address is known.
     */
    private Verdict count(InetAddress address) {
        while (true) {
            Usage u = usage.computeIfAbsent(address, key -> new Usage());
            synchronized (u) {
                if (u.dropped) {
                    continue;
                }
                if (maxPerAddress > 0 && u.open >= maxPerAddress) {
                    return Verdict.OVER_OPEN;
                }
                u.open++;
                long now = System.nanoTime();
                if (now - u.windowStartNanos >= 1_000_000_000L) {
                    u.windowStartNanos = now;
                    u.inWindow = 0;
                }
                return ratePerSecond > 0 && ++u.inWindow > ratePerSecond ? Verdict.OVER_RATE : Verdict.ADMITTED;
            }
        }
    }

    private static InetAddress addressOf(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress remote ? remote.getAddress() : null;
    }

    /** An admitted connection closed: undo what {@link #admit} counted. */
    void release(Channel channel) {
        if (maxTotal > 0) {
            total.decrementAndGet();
        }
        InetAddress address = addressOf(channel);
        if (address != null) {
            usage.computeIfPresent(address, (key, u) -> {
                synchronized (u) {
                    u.open--;
                    return u.open <= 0 && (ratePerSecond == 0 || windowOver(u)) ? drop(u) : u;
                }
            });
        }
    }

    /** Marks a usage leaving the map (the caller holds its lock); null, to remove it. */
    private static Usage drop(Usage u) {
        u.dropped = true;
        return null;
    }

    /** An address's count stays while its rate window is open, so connect-and-close cannot reset it. */
    private static boolean windowOver(Usage u) {
        return System.nanoTime() - u.windowStartNanos >= 1_000_000_000L;
    }

    private void forgetIdleAddresses() {
        for (InetAddress address : usage.keySet()) {
            usage.computeIfPresent(address, (key, u) -> {
                synchronized (u) {
                    return u.open <= 0 && windowOver(u) ? drop(u) : u;
                }
            });
        }
    }

    /** Addresses tracked now (for tests). */
    int trackedAddresses() {
        return usage.size();
    }
}
