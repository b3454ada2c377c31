package io.tern.core.storage;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Session records held in memory: they live as long as the process. */
public final class InMemorySessionStore implements SessionStore {
    private final Map<String, SessionRecord> records = new ConcurrentHashMap<>();

    @Override
    public void save(SessionRecord record) {
        records.put(record.clientId(), record);
    }

    @Override
    public void delete(String clientId) {
        records.remove(clientId);
    }

    @Override
    public Collection<SessionRecord> loadAll() {
        return List.copyOf(records.values());
    }
}
