package io.tern.core.auth;

/**
 * What one client may do with topics, decided once per client and asked on every publish,
 * subscribe and delivery. Implementations answer from memory and may be called from the
 * client's event loop and its session's owner.
 */
public interface ClientPermissions {

    /** May the client publish to {@code topic} (also asked for its will)? */
    boolean canPublish(String topic);

    /** May the client subscribe to {@code topicFilter} (without any $share/ prefix)? */
    boolean canSubscribe(String topicFilter);

    /**
     * May a message on {@code topic} be delivered to the client? Asked per message, so a
     * subscription wider than the client's rights (or a deny rule inside it) never leaks.
     */
    boolean canReceive(String topic);

    /** Everything allowed: the permissions of every client when no ACL is configured. */
    ClientPermissions ALL = new ClientPermissions() {
        @Override
        public boolean canPublish(String topic) {
            return true;
        }

        @Override
        public boolean canSubscribe(String topicFilter) {
            return true;
        }

        @Override
        public boolean canReceive(String topic) {
            return true;
        }
    };
}
