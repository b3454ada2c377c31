package io.tern.app.config;

import java.nio.file.Path;

/**
 * Where state lives.
 *
 * @param type  rocksdb (durable, the default) or memory (everything is lost on stop)
 * @param dir   the RocksDB directory
 * @param fsync fsync every group commit: survive power loss, not only a killed process
 */
public record StorageConfig(Type type, Path dir, boolean fsync) {
    public enum Type { ROCKSDB, MEMORY }
}
