package io.tern.core.auth.password;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Slows down password guessing from one address: after a failed login, every attempt from that
 * address waits 100 ms, doubling per further failure up to 10 s, until a quiet period of a
 * minute (or a success) clears it. Correct logins from other addresses are not delayed.
 */
public final class LoginThrottle {
    static final long BASE_DELAY_MILLIS = 100;
    static final long MAX_DELAY_MILLIS = 10_000;
    static final long FORGET_AFTER_MILLIS = 60_000;
    private static final int MAX_TRACKED = 100_000;

    private record Failures(int count, long lastMillis) {
    }

    private final Map<String, Failures> byAddress = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public LoginThrottle(LongSupplier clock) {
        this.clock = clock;
    }

    /** How long an attempt from {@code address} waits before its password is checked. */
    public long delayMillis(String address) {
        if (address == null) {
            return 0;
        }
        Failures failures = byAddress.get(address);
        if (failures == null) {
            return 0;
        }
        if (clock.getAsLong() - failures.lastMillis > FORGET_AFTER_MILLIS) {
            byAddress.remove(address, failures);
            return 0;
        }
        int doublings = Math.min(failures.count - 1, 20);
        return Math.min(MAX_DELAY_MILLIS, BASE_DELAY_MILLIS << doublings);
    }

    public void failed(String address) {
        if (address == null) {
            return;
        }
        if (byAddress.size() >= MAX_TRACKED) {
            forgetOld();
        }
        long now = clock.getAsLong();
        byAddress.merge(address, new Failures(1, now), (old, one) -> new Failures(old.count + 1, now));
    }

    public void succeeded(String address) {
        if (address != null) {
            byAddress.remove(address);
        }
    }

    private void forgetOld() {
        long now = clock.getAsLong();
        byAddress.values().removeIf(f -> now - f.lastMillis > FORGET_AFTER_MILLIS);
        if (byAddress.size() >= MAX_TRACKED) {
            byAddress.clear(); // a flood of distinct addresses: tracking them all would be the attack
        }
    }
}
