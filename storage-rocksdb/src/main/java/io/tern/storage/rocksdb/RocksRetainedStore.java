package io.tern.storage.rocksdb;

import io.tern.core.message.Message;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.RetainedMessageStore;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

import java.util.function.Consumer;

/**
 * Retained messages: matched from the in-memory trie, every change also written through the
 * group-commit writer. Loaded at start-up; expired ones are deleted instead of loaded.
 */
final class RocksRetainedStore implements RetainedMessageStore {
    private final InMemoryRetainedStore memory = new InMemoryRetainedStore();
    private final ColumnFamilyHandle family;
    private final GroupCommitWriter writer;

    RocksRetainedStore(RocksDB db, ColumnFamilyHandle family, GroupCommitWriter writer) {
        this.family = family;
        this.writer = writer;
        long now = System.currentTimeMillis();
        RocksStorage.scan(db, family, null, (key, value) -> {
            Message message = Codec.message(value);
            if (message.isExpired(now)) {
                writer.delete(family, key);
            } else {
                memory.put(message);
            }
        });
    }

    @Override
    public void put(Message message) {
        memory.put(message);
        writer.put(family, Codec.key(message.topic()), Codec.message(message));
    }

    @Override
    public void remove(String topic) {
        memory.remove(topic);
        writer.delete(family, Codec.key(topic));
    }

    @Override
    public void match(String filter, long nowMillis, Consumer<Message> visitor) {
        memory.match(filter, nowMillis, visitor);
    }

    @Override
    public int size() {
        return memory.size();
    }
}
