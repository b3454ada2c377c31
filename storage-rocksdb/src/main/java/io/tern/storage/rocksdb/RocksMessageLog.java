package io.tern.storage.rocksdb;

import io.tern.core.storage.MessageLog;
import io.tern.core.storage.StoredDelivery;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Persistent sessions' deliveries (key: client id, sequence number) and inbound QoS 2 packet ids
 * (key: client id, packet id). One stored copy per delivery: a fan-out to N persistent sessions
 * writes the message N times, which keeps deletion simple (no reference counts to recover).
 */
final class RocksMessageLog implements MessageLog {
    private final RocksDB db;
    private final ColumnFamilyHandle queue;
    private final ColumnFamilyHandle inbound;
    private final GroupCommitWriter writer;

    RocksMessageLog(RocksDB db, ColumnFamilyHandle queue, ColumnFamilyHandle inbound, GroupCommitWriter writer) {
        this.db = db;
        this.queue = queue;
        this.inbound = inbound;
        this.writer = writer;
    }

    @Override
    public boolean isDurable() {
        return true;
    }

    @Override
    public void append(String clientId, StoredDelivery delivery) {
        writer.put(queue, Codec.queueKey(clientId, delivery.seq()), Codec.delivery(delivery));
    }

    @Override
    public void release(String clientId, StoredDelivery delivery) {
        writer.put(queue, Codec.queueKey(clientId, delivery.seq()), Codec.delivery(delivery));
    }

    @Override
    public void remove(String clientId, long seq) {
        writer.delete(queue, Codec.queueKey(clientId, seq));
    }

    @Override
    public void inboundAdd(String clientId, int packetId) {
        writer.put(inbound, Codec.inboundKey(clientId, packetId), new byte[0]);
    }

    @Override
    public void inboundRemove(String clientId, int packetId) {
        writer.delete(inbound, Codec.inboundKey(clientId, packetId));
    }

    @Override
    public CompletionStage<Void> barrier() {
        return writer.barrier();
    }

    @Override
    public List<StoredDelivery> queued(String clientId) {
        List<StoredDelivery> deliveries = new ArrayList<>();
        RocksStorage.scan(db, queue, Codec.clientPrefix(clientId),
                (key, value) -> deliveries.add(Codec.delivery(Codec.seqOf(key), value)));
        return deliveries;
    }

    @Override
    public Set<Integer> inbound(String clientId) {
        Set<Integer> ids = new HashSet<>();
        RocksStorage.scan(db, inbound, Codec.clientPrefix(clientId), (key, value) -> ids.add(Codec.packetIdOf(key)));
        return ids;
    }
}
