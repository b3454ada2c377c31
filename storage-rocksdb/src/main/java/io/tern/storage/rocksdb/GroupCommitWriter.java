package io.tern.storage.rocksdb;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * One thread that turns every write queued since its last commit into one atomic RocksDB write
 * batch (group commit): thousands of messages from many sessions cost one WAL append, or one
 * fsync with {@code fsync} on. Callers never wait on disk; {@link #barrier()} tells them when
 * what they queued is durable. A failed write fails the barriers of its batch and the writer
 * keeps going, so the acknowledgements it guarded are never sent.
 */
final class GroupCommitWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
    private static final int MAX_BATCH = 50_000;

    private sealed interface Op {
    }

    private record Put(ColumnFamilyHandle family, byte[] key, byte[] value) implements Op {
    }

    private record Delete(ColumnFamilyHandle family, byte[] key) implements Op {
    }

    private record DeleteRange(ColumnFamilyHandle family, byte[] from, byte[] to) implements Op {
    }

    private record Barrier(CompletableFuture<Void> done) implements Op {
    }

    private record Stop() implements Op {
    }

    private final RocksDB db;
    private final WriteOptions options;
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final LongConsumer batchObserver;
    private volatile boolean stopped;

    /** @param batchObserver told the size of every committed batch (for metrics) */
    GroupCommitWriter(RocksDB db, boolean fsync, LongConsumer batchObserver) {
        this.db = db;
        this.options = new WriteOptions().setSync(fsync);
        this.batchObserver = batchObserver;
        this.thread = new Thread(this::run, "tern-storage-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    void put(ColumnFamilyHandle family, byte[] key, byte[] value) {
        queue.add(new Put(family, key, value));
    }

    void delete(ColumnFamilyHandle family, byte[] key) {
        queue.add(new Delete(family, key));
    }

    void deleteRange(ColumnFamilyHandle family, byte[] from, byte[] to) {
        queue.add(new DeleteRange(family, from, to));
    }

    /** Completes when every write queued before it is durable (fails if its batch failed). */
    CompletableFuture<Void> barrier() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (stopped) {
            done.completeExceptionally(new StorageException("storage is closed"));
            return done;
        }
        queue.add(new Barrier(done));
        return done;
    }

    int pending() {
        return queue.size();
    }

    private void run() {
        List<Op> batch = new ArrayList<>();
        List<CompletableFuture<Void>> barriers = new ArrayList<>();
        boolean running = true;
        while (running) {
            try {
                Op first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                // Let the threads that queue writes run first when they share this core: woken by
                // the first write of a read, the writer would otherwise preempt the event loop and
                // commit a few writes at a time (on one core without fsync: 6 writes per commit and
                // twice the context switches of fsync on, whose waits batch 60). With a core of
                // its own, or nothing else runnable, the yield returns at once.
                Thread.yield();
                queue.drainTo(batch, MAX_BATCH);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            int writes = 0;
            try (WriteBatch write = new WriteBatch()) {
                for (Op op : batch) {
                    if (op instanceof Put put) {
                        write.put(put.family(), put.key(), put.value());
                        writes++;
                    } else if (op instanceof Delete delete) {
                        write.delete(delete.family(), delete.key());
                        writes++;
                    } else if (op instanceof DeleteRange range) {
                        write.deleteRange(range.family(), range.from(), range.to());
                        writes++;
                    } else if (op instanceof Barrier barrier) {
                        barriers.add(barrier.done());
                    } else {
                        running = false; // Stop: commit this last batch, then end
                    }
                }
                if (writes > 0) {
                    db.write(options, write);
                    batchObserver.accept(writes);
                }
                barriers.forEach(done -> done.complete(null));
            } catch (RocksDBException | RuntimeException e) {
                LOG.error("storage_write_failed writes={} error=\"{}\"", writes, e.getMessage());
                StorageException failure = new StorageException("write failed: " + e.getMessage(), e);
                barriers.forEach(done -> done.completeExceptionally(failure));
            }
            batch.clear();
            barriers.clear();
        }
    }

    /** Commits what is queued, then stops. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        queue.add(new Stop());
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        options.close();
    }
}
