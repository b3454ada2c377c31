package io.tern.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.routing.Subscription;
import io.tern.core.routing.SubscriptionOptions;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.StoredDelivery;
import io.tern.storage.rocksdb.RocksStorage;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fills a RocksDB store for the start-up measurement of docs/storage.md:
 * <pre>java -cp bench/target/tern-bench.jar io.tern.bench.StorePopulator DIR RETAINED SESSIONS</pre>
 * Each session has two subscriptions and one queued QoS 1 message; retained payloads are 64 bytes.
 */
public final class StorePopulator {
    private StorePopulator() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int retained = Integer.parseInt(args[1]);
        int sessions = Integer.parseInt(args[2]);
        byte[] payload = new byte[64];
        long start = System.nanoTime();
        try (RocksStorage storage = RocksStorage.open(dir, false, new SimpleMeterRegistry())) {
            for (int i = 0; i < retained; i++) {
                storage.retained().put(Message.of("sensors/" + (i / 1000) + "/" + i, payload, QoS.AT_LEAST_ONCE, true));
                if (i % 100_000 == 0) {
                    storage.log().barrier().toCompletableFuture().get(60, TimeUnit.SECONDS); // bound the queue
                }
            }
            long now = System.currentTimeMillis();
            for (int i = 0; i < sessions; i++) {
                String clientId = "device-" + i;
                storage.sessions().save(new SessionRecord(clientId, 86_400, now, List.of(
                        Subscription.of("commands/" + i + "/#", SubscriptionOptions.of(QoS.AT_LEAST_ONCE), 0),
                        Subscription.of("broadcast/+", SubscriptionOptions.of(QoS.AT_MOST_ONCE), 0)), "user-" + i));
                storage.log().append(clientId, new StoredDelivery(1, Message.of("commands/" + i + "/reboot", payload,
                        QoS.AT_LEAST_ONCE, false), List.of(), false));
                if (i % 100_000 == 0) {
                    storage.log().barrier().toCompletableFuture().get(60, TimeUnit.SECONDS);
                }
            }
            storage.log().barrier().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        System.out.printf("populated retained=%d sessions=%d seconds=%.1f%n", retained, sessions,
                (System.nanoTime() - start) / 1e9);
    }
}
