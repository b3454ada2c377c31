package io.tern.mqtt;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive deadlines of one event loop's connections, checked by one periodic sweep instead of
 * a timer per connection. A timer per connection (Netty's IdleStateHandler) costs a handler, its
 * pipeline context and a scheduled task, about 280 bytes of heap; here a connection costs one
 * slot in an array, and a read costs a field write.
 *
 * <p>Time is counted in sweeps. A connection is closed once more than its allowance has passed
 * since the sweep before its last read, plus one sweep for that coarseness: never early, at most
 * two sweep periods late [MQTT-3.1.2-24]. Only the owning event loop touches an instance.
 */
final class KeepAliveSweeper {
    static final long PERIOD_MILLIS = 500;

    /** What the sweeper watches: a connection with a keep alive. */
    interface Watched {
        /** Sweep count at (or just before) the connection's last read. */
        long lastReadSweep();

        /** Sweeps of silence allowed (1.5 x keep alive, rounded up). */
        long allowedSweeps();

        int slot();

        void slot(int slot);

        /** Called on the event loop once the allowance has passed. */
        void keepAliveExpired();
    }

    /** The sweepers of every event loop one {@link MqttTail} serves. */
    static final class PerLoop {
        private final ConcurrentHashMap<EventExecutor, KeepAliveSweeper> sweepers = new ConcurrentHashMap<>();

        /** The sweeper of {@code loop}; call on that loop. */
        KeepAliveSweeper of(EventExecutor loop) {
            return sweepers.computeIfAbsent(loop, l -> new KeepAliveSweeper(l, this));
        }

        private void retire(EventExecutor loop, KeepAliveSweeper sweeper) {
            sweepers.remove(loop, sweeper);
        }
    }

    private final EventExecutor loop;
    private final PerLoop owner;
    private final List<Watched> watched = new ArrayList<>();
    private final List<Watched> expired = new ArrayList<>();
    private ScheduledFuture<?> task;
    private long sweep;

    private KeepAliveSweeper(EventExecutor loop, PerLoop owner) {
        this.loop = loop;
        this.owner = owner;
    }

    /** The current sweep count, which a connection records at each read. */
    long now() {
        return sweep;
    }

    static long allowedSweeps(int keepAliveSeconds) {
        long allowanceMillis = keepAliveSeconds * 1500L;
        return (allowanceMillis + PERIOD_MILLIS - 1) / PERIOD_MILLIS;
    }

    void watch(Watched connection) {
        connection.slot(watched.size());
        watched.add(connection);
        if (task == null) {
            task = loop.scheduleAtFixedRate(this::sweep, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    void unwatch(Watched connection) {
        int slot = connection.slot();
        if (slot < 0 || slot >= watched.size() || watched.get(slot) != connection) {
            return;
        }
        Watched last = watched.remove(watched.size() - 1);
        if (last != connection) {
            watched.set(slot, last);
            last.slot(slot);
        }
        connection.slot(-1);
        if (watched.isEmpty()) {
            task.cancel(false);
            task = null;
            owner.retire(loop, this); // an idle loop keeps no task; the next watch makes a new sweeper
        }
    }

    private void sweep() {
        sweep++;
        for (Watched connection : watched) {
            if (sweep - connection.lastReadSweep() > connection.allowedSweeps() + 1) {
                expired.add(connection);
            }
        }
        // Expiring closes the connection, which unwatches it: not while iterating.
        for (Watched connection : expired) {
            connection.keepAliveExpired();
        }
        expired.clear();
    }
}
