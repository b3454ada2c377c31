package io.tern.core.session;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Single-threaded executors that own sessions while no connection does. A session always maps
 * to the same one ({@code floorMod(clientId.hashCode(), n)}), so its work stays on one thread.
 */
public final class OfflineExecutors implements AutoCloseable {
    private final Executor[] executors;

    private OfflineExecutors(Executor[] executors) {
        this.executors = executors;
    }

    public OfflineExecutors(int threads) {
        this(new Executor[Math.max(1, threads)]);
        AtomicInteger counter = new AtomicInteger();
        for (int i = 0; i < executors.length; i++) {
            executors[i] = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tern-session-offline-" + counter.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
        }
    }

    /**
     * Runs offline session work on the calling thread. For single-threaded harnesses (Netty's
     * EmbeddedChannel) where every event must happen on the test thread; never for a server.
     */
    public static OfflineExecutors callerRuns() {
        return new OfflineExecutors(new Executor[]{Runnable::run});
    }

    public Executor forClient(String clientId) {
        return executors[Math.floorMod(clientId.hashCode(), executors.length)];
    }

    @Override
    public void close() {
        for (Executor executor : executors) {
            if (executor instanceof ExecutorService service) {
                service.shutdown();
            }
        }
        for (Executor executor : executors) {
            if (executor instanceof ExecutorService service) {
                try {
                    service.awaitTermination(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
