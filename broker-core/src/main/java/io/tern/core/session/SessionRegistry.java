package io.tern.core.session;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * All sessions by client id. Connecting is the only path that creates one; a session removes
 * itself when it ends, from its own owner thread.
 */
public final class SessionRegistry {
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private SessionServices services;

    void bind(SessionServices sessionServices) {
        this.services = sessionServices;
    }

    /**
     * Hands the connect to the session's owner. Two connects for one client id serialise in its
     * mailbox; the later one takes the session over.
     */
    public void attach(ConnectRequest request, String username) {
        // get, then putIfAbsent: a capturing computeIfAbsent would allocate its lambda and a result
        // holder on every connect. A lost race makes one Session that is dropped unused.
        Session existing = sessions.get(request.clientId());
        if (existing != null) {
            beginAttach(existing, request, username, false);
            return;
        }
        Session fresh = new Session(request.clientId(), services, request.connection().executor());
        Session raced = sessions.putIfAbsent(request.clientId(), fresh);
        beginAttach(raced != null ? raced : fresh, request, username, raced == null);
    }

    private static void beginAttach(Session session, ConnectRequest request, String username, boolean created) {
        session.execute(() -> session.beginAttach(request, username, created));
    }

    /** Registers a session restored from storage; it starts offline. */
    public Session restore(String clientId) {
        Session session = new Session(clientId, services);
        sessions.put(clientId, session);
        return session;
    }

    void remove(Session session) {
        sessions.remove(session.clientId(), session);
    }

    public Session get(String clientId) {
        return sessions.get(clientId);
    }

    public int size() {
        return sessions.size();
    }

    public Collection<Session> all() {
        return sessions.values();
    }
}
