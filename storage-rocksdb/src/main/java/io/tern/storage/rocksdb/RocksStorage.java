package io.tern.storage.rocksdb;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tern.core.storage.MessageLog;
import io.tern.core.storage.RetainedMessageStore;
import io.tern.core.storage.SessionStore;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Tern's durable storage in one RocksDB directory: retained messages, persistent sessions and
 * their message log, all written through one {@link GroupCommitWriter} so that one barrier
 * covers them all.
 *
 * <p>Guarantee: once a barrier completes, its writes are in RocksDB's write-ahead log. With
 * {@code fsync: false} that is the operating system's page cache, which survives the process
 * being killed (kill -9, a crash, OOM) but not a power cut or kernel panic; with
 * {@code fsync: true} every group commit is fsync'ed, which survives those too.
 */
public final class RocksStorage implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RocksStorage.class);
    /** Bumped when the stored layout changes incompatibly; a store of another version is refused. */
    static final int FORMAT_VERSION = 1;
    private static final byte[] FORMAT_KEY = "tern.format".getBytes(StandardCharsets.UTF_8);
    private static final List<String> FAMILIES = List.of("retained", "sessions", "queue", "inbound");

    static {
        RocksDB.loadLibrary();
        deleteExtractedLibrary();
    }

    /**
     * RocksDB copies its 15 MB native library to java.io.tmpdir at every start and relies on
     * deleteOnExit, so every crash or kill -9 left a copy behind (a crash-looping broker fills
     * /tmp). Once loaded the file is no longer needed: delete our own copy, found in
     * /proc/self/maps, as Netty does with its libraries. Only Linux has the maps file; elsewhere
     * nothing changes.
     */
    static void deleteExtractedLibrary() {
        Path maps = Path.of("/proc/self/maps");
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        try {
            if (!Files.isReadable(maps)) {
                return;
            }
            for (String line : Files.readAllLines(maps)) {
                int path = line.indexOf('/');
                if (path < 0 || !line.contains("librocksdbjni") || line.endsWith("(deleted)")) {
                    continue;
                }
                Path library = Path.of(line.substring(path).trim());
                if (library.toAbsolutePath().normalize().startsWith(tmp)) {
                    Files.deleteIfExists(library);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("rocksdb_native_cleanup_failed error={}", e.toString());
        }
    }

    private final Path dir;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions familyOptions;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final GroupCommitWriter writer;
    private final RocksRetainedStore retained;
    private final RocksSessionStore sessions;
    private final RocksMessageLog log;

    private RocksStorage(Path dir, boolean fsync, MeterRegistry registry) {
        this.dir = dir;
        this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setKeepLogFileNum(3);
        this.familyOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions));
        for (String family : FAMILIES) {
            descriptors.add(new ColumnFamilyDescriptor(family.getBytes(StandardCharsets.UTF_8), familyOptions));
        }
        try {
            this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            dbOptions.close();
            familyOptions.close();
            throw new StorageException(explain(dir, e), e);
        }
        try {
            checkFormat();
        } catch (StorageException e) {
            closeDb();
            throw e;
        }
        Counter commits = Counter.builder("tern.storage.commits").description("Group commits written to RocksDB")
                .register(registry);
        DistributionSummary batchSizes = DistributionSummary.builder("tern.storage.commit.writes")
                .description("Writes per group commit").register(registry);
        this.writer = new GroupCommitWriter(db, fsync, writes -> {
            commits.increment();
            batchSizes.record(writes);
        });
        Gauge.builder("tern.storage.pending.writes", writer, GroupCommitWriter::pending)
                .description("Writes queued for the next group commit").register(registry);
        this.retained = new RocksRetainedStore(db, family("retained"), writer);
        this.sessions = new RocksSessionStore(db, family("sessions"), family("queue"), family("inbound"), writer);
        this.log = new RocksMessageLog(db, family("queue"), family("inbound"), writer);
    }

    /**
     * Opens (or creates) the store in {@code dir}.
     *
     * @throws StorageException when it cannot be opened: the message names the directory, the
     *                          cause, and the way out (storage.md)
     */
    public static RocksStorage open(Path dir, boolean fsync, MeterRegistry registry) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StorageException("storage.dir " + dir + ": cannot create it (" + e + ")");
        }
        if (!Files.isWritable(dir)) {
            throw new StorageException("storage.dir " + dir + ": not writable by this user");
        }
        long start = System.nanoTime();
        RocksStorage storage = new RocksStorage(dir, fsync, registry);
        LOG.info("storage_opened type=rocksdb dir={} fsync={} retained={} millis={}", dir, fsync,
                storage.retained.size(), (System.nanoTime() - start) / 1_000_000);
        return storage;
    }

    private static String explain(Path dir, RocksDBException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (message.contains("lock") || message.contains("LOCK")) {
            return "storage.dir " + dir + " is in use by another process (another Tern?): " + message;
        }
        if (message.contains("Corruption") || message.contains("corrupt")) {
            return "storage.dir " + dir + " is damaged: " + message + ". Nothing was changed. To start anyway, move "
                    + "the directory aside (mv " + dir + " " + dir + ".damaged) and keep it for recovery; "
                    + "see docs/storage.md";
        }
        return "storage.dir " + dir + ": cannot open the store: " + message;
    }

    private void checkFormat() {
        try {
            byte[] stored = db.get(FORMAT_KEY);
            if (stored == null) {
                boolean empty;
                try (RocksIterator it = db.newIterator(family("sessions"))) {
                    it.seekToFirst();
                    empty = !it.isValid();
                }
                if (!empty) {
                    throw new StorageException("storage.dir " + dir + " holds data without a Tern format version: "
                            + "not a Tern store, or damaged. Move it aside and start again");
                }
                db.put(FORMAT_KEY, Integer.toString(FORMAT_VERSION).getBytes(StandardCharsets.UTF_8));
                return;
            }
            int version = Integer.parseInt(new String(stored, StandardCharsets.UTF_8));
            if (version != FORMAT_VERSION) {
                throw new StorageException("storage.dir " + dir + " has format version " + version + "; this Tern "
                        + "reads version " + FORMAT_VERSION + ". Use the Tern version that wrote it, or move the "
                        + "directory aside");
            }
        } catch (RocksDBException | NumberFormatException e) {
            throw new StorageException("storage.dir " + dir + ": cannot read the format version: " + e.getMessage(), e);
        }
    }

    private ColumnFamilyHandle family(String name) {
        return handles.get(FAMILIES.indexOf(name) + 1);
    }

    public RetainedMessageStore retained() {
        return retained;
    }

    public SessionStore sessions() {
        return sessions;
    }

    public MessageLog log() {
        return log;
    }

    /** Visits every key and value of a family (start-up loading). */
    static void scan(RocksDB db, ColumnFamilyHandle family, byte[] prefix, BiConsumer<byte[], byte[]> visitor) {
        try (RocksIterator it = db.newIterator(family)) {
            if (prefix == null) {
                it.seekToFirst();
            } else {
                it.seek(prefix);
            }
            for (; it.isValid(); it.next()) {
                byte[] key = it.key();
                if (prefix != null && !startsWith(key, prefix)) {
                    break;
                }
                visitor.accept(key, it.value());
            }
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Commits everything queued, then closes the database. */
    @Override
    public void close() {
        writer.close();
        closeDb();
        LOG.info("storage_closed dir={}", dir);
    }

    private void closeDb() {
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        dbOptions.close();
        familyOptions.close();
    }
}
