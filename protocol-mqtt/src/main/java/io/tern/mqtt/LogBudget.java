package io.tern.mqtt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caps log lines that any client can cause (malformed packets, refused connects, failed TLS
 * handshakes): at most {@code perWindow} lines per event name every 10 s. The rest are counted
 * and reported in one {@code log_suppressed} line when the next window opens, so a flood of bad
 * connections cannot flood the log; the metrics still count every one.
 */
final class LogBudget {
    private static final Logger LOG = LoggerFactory.getLogger(LogBudget.class);
    static final long WINDOW_NANOS = 10_000_000_000L;

    private final int perWindow;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    LogBudget(int perWindow) {
        this.perWindow = perWindow;
    }

    /** Whether a line for {@code event} may be written now. */
    boolean allow(String event) {
        return allow(event, System.nanoTime());
    }

    boolean allow(String event, long nowNanos) {
        return windows.computeIfAbsent(event, e -> new Window(nowNanos)).take(event, nowNanos);
    }

    private final class Window {
        private long startNanos;
        private int used;
        private int suppressed;

        Window(long startNanos) {
            this.startNanos = startNanos;
        }

        synchronized boolean take(String event, long now) {
            if (now - startNanos >= WINDOW_NANOS) {
                if (suppressed > 0) {
                    LOG.info("log_suppressed event={} count={} window_seconds={}", event, suppressed,
                            WINDOW_NANOS / 1_000_000_000L);
                }
                startNanos = now;
                used = 0;
                suppressed = 0;
            }
            if (used < perWindow) {
                used++;
                return true;
            }
            suppressed++;
            return false;
        }
    }
}
