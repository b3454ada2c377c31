package io.tern.storage.rocksdb;

import io.tern.core.session.Session;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.SessionStore;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Persistent sessions: one record per client id (expiry, subscriptions, user). Deleting a session
 * deletes its message log with it. At load, expired sessions and entries of sessions that no
 * longer exist are deleted, not loaded.
 */
final class RocksSessionStore implements SessionStore {
    private final RocksDB db;
    private final ColumnFamilyHandle sessions;
    private final ColumnFamilyHandle queue;
    private final ColumnFamilyHandle inbound;
    private final GroupCommitWriter writer;

    RocksSessionStore(RocksDB db, ColumnFamilyHandle sessions, ColumnFamilyHandle queue, ColumnFamilyHandle inbound,
                      GroupCommitWriter writer) {
        this.db = db;
        this.sessions = sessions;
        this.queue = queue;
        this.inbound = inbound;
        this.writer = writer;
    }

    @Override
    public void save(SessionRecord record) {
        writer.put(sessions, Codec.key(record.clientId()), Codec.session(record));
    }

    @Override
    public void delete(String clientId) {
        writer.delete(sessions, Codec.key(clientId));
        deleteLog(Codec.clientPrefix(clientId));
    }

    private void deleteLog(byte[] prefix) {
        writer.deleteRange(queue, prefix, Codec.prefixEnd(prefix));
        writer.deleteRange(inbound, prefix, Codec.prefixEnd(prefix));
    }

    @Override
    public Collection<SessionRecord> loadAll() {
        long now = System.currentTimeMillis();
        List<SessionRecord> records = new ArrayList<>();
        Set<String> kept = new HashSet<>();
        RocksStorage.scan(db, sessions, null, (key, value) -> {
            String clientId = new String(key, StandardCharsets.UTF_8);
            SessionRecord record = Codec.session(clientId, value);
            if (expired(record, now)) {
                delete(clientId);
            } else {
                records.add(record);
                kept.add(clientId);
            }
        });
        deleteOrphans(queue, kept);
        deleteOrphans(inbound, kept);
        return records;
    }

    /** Disconnected longer than its expiry interval (a session connected at a crash is not). */
    private static boolean expired(SessionRecord record, long now) {
        long expiry = record.expiryIntervalSeconds();
        return record.disconnectedAtMillis() > 0 && expiry != Session.NEVER_EXPIRES
                && record.disconnectedAtMillis() + expiry * 1000L <= now;
    }

    /** Entries left by a session that ended while its last writes were still on their way. */
    private void deleteOrphans(ColumnFamilyHandle family, Set<String> kept) {
        Set<String> orphans = new HashSet<>();
        RocksStorage.scan(db, family, null, (key, value) -> {
            int length = ByteBuffer.wrap(key, 0, 2).getShort() & 0xffff;
            String clientId = new String(key, 2, length, StandardCharsets.UTF_8);
            if (!kept.contains(clientId)) {
                orphans.add(clientId);
            }
        });
        for (String clientId : orphans) {
            byte[] prefix = Codec.clientPrefix(clientId);
            writer.deleteRange(family, prefix, Codec.prefixEnd(prefix));
        }
    }
}
