package io.tern.core.auth;

import java.util.concurrent.atomic.AtomicLong;

/**
 * An authorizer whose rules can be replaced at run time (SIGHUP). Permissions handed out before a
 * replacement notice it on their next question and recompute, so connected clients follow the
 * new rules without reconnecting and without a lock on the hot path (one volatile read).
 */
public final class ReloadableAuthorizer implements Authorizer {
    private volatile Authorizer current;
    private final AtomicLong generation = new AtomicLong();

    public ReloadableAuthorizer(Authorizer initial) {
        this.current = initial;
    }

    public void replace(Authorizer next) {
        current = next;
        generation.incrementAndGet();
    }

    @Override
    public ClientPermissions permissionsFor(String clientId, String username) {
        return new Following(clientId, username);
    }

    /** Permissions that recompute from the current rules after a replacement. */
    private final class Following implements ClientPermissions {
        private final String clientId;
        private final String username;
        private volatile Snapshot snapshot;

        Following(String clientId, String username) {
            this.clientId = clientId;
            this.username = username;
        }

        private ClientPermissions current() {
            long now = generation.get();
            Snapshot seen = snapshot;
            if (seen == null || seen.generation != now) {
                seen = new Snapshot(now, ReloadableAuthorizer.this.current.permissionsFor(clientId, username));
                snapshot = seen;
            }
            return seen.permissions;
        }

        @Override
        public boolean canPublish(String topic) {
            return current().canPublish(topic);
        }

        @Override
        public boolean canSubscribe(String topicFilter) {
            return current().canSubscribe(topicFilter);
        }

        @Override
        public boolean canReceive(String topic) {
            return current().canReceive(topic);
        }
    }

    private record Snapshot(long generation, ClientPermissions permissions) {
    }
}
