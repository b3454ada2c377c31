package io.tern.core.auth;

/**
 * Decides what an authenticated client may do with a topic. Called on the publish and subscribe
 * paths, so it must answer from memory without blocking.
 */
public interface Authorizer {

    boolean canPublish(String clientId, String username, String topic);

    boolean canSubscribe(String clientId, String username, String topicFilter);

    /** Allows everything (the default when no ACL file is configured). */
    static Authorizer allowAll() {
        return new Authorizer() {
            @Override
            public boolean canPublish(String clientId, String username, String topic) {
                return true;
            }

            @Override
            public boolean canSubscribe(String clientId, String username, String topicFilter) {
                return true;
            }
        };
    }
}
