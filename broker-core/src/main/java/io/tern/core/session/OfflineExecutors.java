package io.tern.core.session;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Single-threaded executors that own sessions while no connection does. A session always maps
 * to the same one ({@code floorMod(clientId.hashCode(), n)}), so its work stays on one thread.
 */
public final class OfflineExecutors implements AutoCloseable {
    private final ExecutorService[] executors;

    public OfflineExecutors(int threads) {
        executors = new ExecutorService[Math.max(1, threads)];
        AtomicInteger counter = new AtomicInteger();
        for (int i = 0; i < executors.length; i++) {
            executors[i] = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tern-session-offline-" + counter.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
        }
    }

    public ExecutorService forClient(String clientId) {
        return executors[Math.floorMod(clientId.hashCode(), executors.length)];
    }

    @Override
    public void close() {
        for (ExecutorService executor : executors) {
            executor.shutdown();
        }
        for (ExecutorService executor : executors) {
            try {
                executor.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
