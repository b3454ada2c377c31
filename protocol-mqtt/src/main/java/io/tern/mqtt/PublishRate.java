package io.tern.mqtt;

import io.tern.core.Backpressure;

/**
 * A token bucket for one connection's PUBLISH packets: {@code perSecond} tokens a second, up to a
 * second's worth saved. When it runs dry the connection stops reading until the next token, so
 * a flooding client slows itself down (TCP back-pressure) without disturbing anyone else.
 * Owned by the connection's event loop.
 */
final class PublishRate {
    private final long nanosPerToken;
    private final long capacityNanos;
    private long fullAtNanos;

    PublishRate(int perSecond) {
        this.nanosPerToken = 1_000_000_000L / perSecond;
        this.capacityNanos = nanosPerToken * perSecond;
        this.fullAtNanos = System.nanoTime() - capacityNanos;
    }

    /**
     * Takes a token for a PUBLISH just read. Returns null while tokens remain, else when the
     * connection may read again.
     */
    Backpressure take() {
        long now = System.nanoTime();
        // fullAtNanos is when the bucket was (or will be) empty; never keep more than capacity.
        fullAtNanos = Math.max(fullAtNanos, now - capacityNanos) + nanosPerToken;
        if (fullAtNanos <= now) {
            return null;
        }
        long readyAt = fullAtNanos;
        return () -> System.nanoTime() >= readyAt;
    }
}
