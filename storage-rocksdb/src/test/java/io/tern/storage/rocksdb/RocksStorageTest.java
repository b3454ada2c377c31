package io.tern.storage.rocksdb;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.message.UserProperty;
import io.tern.core.routing.RetainHandling;
import io.tern.core.routing.Subscription;
import io.tern.core.routing.SubscriptionOptions;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.StoredDelivery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RocksStorageTest {
    @TempDir
    Path dir;

    private RocksStorage open() {
        return RocksStorage.open(dir, false, new SimpleMeterRegistry());
    }

    private static Message message(String topic, String payload, QoS qos) {
        return new Message(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false,
                new MessageProperties(1, "text/plain", "reply/to", new byte[] {9, 8}, List.of(new UserProperty("k", "v"))),
                Message.NEVER_EXPIRES);
    }

    private static void settle(RocksStorage storage) throws Exception {
        storage.log().barrier().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void everythingWrittenComesBackAfterReopening() throws Exception {
        Subscription subscription = Subscription.of("$share/g/a/+", new SubscriptionOptions(QoS.EXACTLY_ONCE, false, true,
                RetainHandling.DO_NOT_SEND), 7);
        try (RocksStorage storage = open()) {
            storage.retained().put(message("r/1", "one", QoS.AT_LEAST_ONCE).withRetain(true));
            storage.retained().put(message("r/2", "two", QoS.AT_MOST_ONCE).withRetain(true));
            storage.retained().remove("r/2");
            storage.sessions().save(new SessionRecord("client-ü", 3600, 0, List.of(subscription), "alice"));
            storage.log().append("client-ü", new StoredDelivery(5, message("a/b", "five", QoS.AT_LEAST_ONCE), List.of(7), false));
            storage.log().append("client-ü", new StoredDelivery(3, message("a/b", "three", QoS.EXACTLY_ONCE), List.of(), false));
            storage.log().append("client-ü", new StoredDelivery(4, message("a/b", "four", QoS.EXACTLY_ONCE), List.of(), false));
            storage.log().release("client-ü", new StoredDelivery(3, message("a/b", "three", QoS.EXACTLY_ONCE), List.of(), true));
            storage.log().remove("client-ü", 4);
            storage.log().inboundAdd("client-ü", 65_535);
            storage.log().inboundAdd("client-ü", 2);
            storage.log().inboundRemove("client-ü", 2);
            settle(storage);
        }
        try (RocksStorage storage = open()) {
            List<Message> retained = new ArrayList<>();
            storage.retained().match("#", System.currentTimeMillis(), retained::add);
            assertThat(retained).extracting(Message::topic).containsExactly("r/1");
            assertThat(retained.get(0).properties().userProperties()).containsExactly(new UserProperty("k", "v"));
            assertThat(retained.get(0).properties().correlationData()).containsExactly(9, 8);
            assertThat(storage.sessions().loadAll()).containsExactly(
                    new SessionRecord("client-ü", 3600, 0, List.of(subscription), "alice"));
            List<StoredDelivery> queued = storage.log().queued("client-ü");
            assertThat(queued).extracting(StoredDelivery::seq).containsExactly(3L, 5L);
            assertThat(queued.get(0).released()).isTrue();
            assertThat(queued.get(1).subscriptionIdentifiers()).containsExactly(7);
            assertThat(new String(queued.get(1).message().payload(), StandardCharsets.UTF_8)).isEqualTo("five");
            assertThat(storage.log().inbound("client-ü")).containsExactly(65_535);
        }
    }

    @Test
    void aPendingWillIsStoredWithItsSession() throws Exception {
        io.tern.core.session.WillMessage will = new io.tern.core.session.WillMessage(
                message("wills/x", "bye", QoS.AT_LEAST_ONCE), 30, 120L);
        try (RocksStorage storage = open()) {
            storage.sessions().save(new SessionRecord("w", 3600, System.currentTimeMillis(), List.of(), null, will, 31_000));
            settle(storage);
        }
        try (RocksStorage storage = open()) {
            SessionRecord loaded = storage.sessions().loadAll().iterator().next();
            assertThat(loaded.willDueAtMillis()).isEqualTo(31_000);
            assertThat(loaded.will().delaySeconds()).isEqualTo(30);
            assertThat(loaded.will().expiryIntervalSeconds()).isEqualTo(120L);
            assertThat(loaded.will().message().topic()).isEqualTo("wills/x");
            assertThat(new String(loaded.will().message().payload(), StandardCharsets.UTF_8)).isEqualTo("bye");
        }
    }

    @Test
    void expiredSessionsAndTheirLogAreDeletedNotLoaded() throws Exception {
        long longAgo = System.currentTimeMillis() - 120_000;
        try (RocksStorage storage = open()) {
            storage.sessions().save(new SessionRecord("gone", 60, longAgo, List.of(), null));
            storage.sessions().save(new SessionRecord("kept", 60, System.currentTimeMillis(), List.of(), null));
            storage.sessions().save(new SessionRecord("connected-at-crash", 60, 0, List.of(), null));
            storage.log().append("gone", new StoredDelivery(1, message("t", "x", QoS.AT_LEAST_ONCE), List.of(), false));
            storage.log().append("orphan", new StoredDelivery(1, message("t", "x", QoS.AT_LEAST_ONCE), List.of(), false));
            storage.retained().put(new Message("old", new byte[] {1}, QoS.AT_MOST_ONCE, true, null, longAgo));
            settle(storage);
        }
        try (RocksStorage storage = open()) {
            assertThat(storage.sessions().loadAll()).extracting(SessionRecord::clientId)
                    .containsExactlyInAnyOrder("kept", "connected-at-crash");
            settle(storage);
            assertThat(storage.log().queued("gone")).isEmpty();
            assertThat(storage.log().queued("orphan")).isEmpty();
            assertThat(storage.retained().size()).isZero();
        }
    }

    @Test
    void deletingASessionDeletesItsLogButNotAnotherClientsWithALongerId() throws Exception {
        try (RocksStorage storage = open()) {
            storage.sessions().save(new SessionRecord("a", 60, 0, List.of(), null));
            storage.sessions().save(new SessionRecord("ab", 60, 0, List.of(), null));
            storage.log().append("a", new StoredDelivery(1, message("t", "x", QoS.AT_LEAST_ONCE), List.of(), false));
            storage.log().append("ab", new StoredDelivery(1, message("t", "y", QoS.AT_LEAST_ONCE), List.of(), false));
            storage.log().inboundAdd("a", 1);
            storage.sessions().delete("a");
            settle(storage);
            assertThat(storage.log().queued("a")).isEmpty();
            assertThat(storage.log().inbound("a")).isEmpty();
            assertThat(storage.log().queued("ab")).hasSize(1);
        }
    }

    @Test
    void aSecondProcessOnTheSameDirectoryIsRefusedWithAReason() {
        try (RocksStorage first = open()) {
            assertThatThrownBy(this::open).isInstanceOf(StorageException.class).hasMessageContaining(dir.toString())
                    .hasMessageContaining("in use");
        }
    }

    @Test
    void aStoreOfAnotherFormatVersionIsRefusedAndLeftAlone() throws Exception {
        open().close();
        try (RocksDB db = RocksDB.open(new org.rocksdb.Options().setCreateIfMissing(false), dir.toString())) {
            db.put("tern.format".getBytes(StandardCharsets.UTF_8), "99".getBytes(StandardCharsets.UTF_8));
        } catch (org.rocksdb.RocksDBException e) {
            // opening without the column families fails: use them
            List<org.rocksdb.ColumnFamilyDescriptor> families = new ArrayList<>();
            for (String name : List.of("default", "retained", "sessions", "queue", "inbound")) {
                families.add(new org.rocksdb.ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8)));
            }
            List<org.rocksdb.ColumnFamilyHandle> handles = new ArrayList<>();
            try (org.rocksdb.DBOptions options = new org.rocksdb.DBOptions();
                 RocksDB db = RocksDB.open(options, dir.toString(), families, handles)) {
                db.put("tern.format".getBytes(StandardCharsets.UTF_8), "99".getBytes(StandardCharsets.UTF_8));
                handles.forEach(org.rocksdb.ColumnFamilyHandle::close);
            }
        }
        assertThatThrownBy(this::open).isInstanceOf(StorageException.class)
                .hasMessageContaining("format version 99").hasMessageContaining("move the directory aside");
    }

    @Test
    void aDirectoryThatIsAFileIsRefusedWithAReason(@TempDir Path parent) throws Exception {
        Path file = java.nio.file.Files.writeString(parent.resolve("data"), "not a directory");
        assertThatThrownBy(() -> RocksStorage.open(file, false, new SimpleMeterRegistry()))
                .isInstanceOf(StorageException.class).hasMessageContaining("storage.dir " + file);
    }

    /** A killed broker must not leave RocksDB's 15 MB native library behind in /tmp. */
    @Test
    void theExtractedNativeLibraryIsDeletedOnceLoaded() throws Exception {
        open().close();
        java.nio.file.Path maps = java.nio.file.Path.of("/proc/self/maps");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(maps), "Linux only");
        List<String> mapped = java.nio.file.Files.readAllLines(maps).stream()
                .filter(line -> line.contains("librocksdbjni")).toList();
        assertThat(mapped).isNotEmpty().allSatisfy(line -> assertThat(line).endsWith("(deleted)"));
    }
}
