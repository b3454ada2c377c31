package io.tern.core.storage;

import java.util.Collection;

/**
 * Persistent sessions (those with a non-zero expiry interval).
 *
 * <p>Threading contract: calls for one client id come from that session's owner thread, one at
 * a time; calls for different client ids may be concurrent. A durable implementation must not
 * block the caller on disk sync: owner threads are event loops while a client is online.
 */
public interface SessionStore {

    void save(SessionRecord record);

    void delete(String clientId);

    /** Everything saved, for loading at start-up. */
    Collection<SessionRecord> loadAll();
}
