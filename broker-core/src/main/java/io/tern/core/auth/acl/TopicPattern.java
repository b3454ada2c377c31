package io.tern.core.auth.acl;

import java.util.Arrays;

/**
 * A topic filter of an ACL rule, split into levels once, with the questions an ACL asks of it.
 * Wildcards follow MQTT matching, including the $-rule [MQTT-4.7.2-1]: a filter starting with a
 * wildcard does not match topics starting with '$', so $SYS must be granted by name.
 */
public final class TopicPattern {
    private final String filter;
    private final String[] levels;

    public TopicPattern(String filter) {
        this.filter = filter;
        this.levels = filter.split("/", -1);
    }

    public String filter() {
        return filter;
    }

    /** Does this filter match the topic name {@code topic}? */
    public boolean matches(String topic) {
        return matches(topic.split("/", -1));
    }

    boolean matches(String[] topic) {
        if (topic.length > 0 && topic[0].startsWith("$") && isWildcard(levels[0])) {
            return false;
        }
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.equals("#")) {
                return true; // also matches the parent level [MQTT-4.7.1-2]
            }
            if (i >= topic.length) {
                return false;
            }
            if (!level.equals("+") && !level.equals(topic[i])) {
                return false;
            }
        }
        return levels.length == topic.length;
    }

    /** Does every topic that {@code inner} matches also match this filter? */
    public boolean covers(String innerFilter) {
        String[] inner = innerFilter.split("/", -1);
        if (inner[0].startsWith("$") && isWildcard(levels[0])) {
            return false; // this filter matches no $ topic [MQTT-4.7.2-1]
        }
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            if (level.equals("#")) {
                return true;
            }
            if (i >= inner.length) {
                return false;
            }
            String other = inner[i];
            if (other.equals("#")) {
                return false; // inner reaches deeper than this filter
            }
            if (level.equals("+")) {
                continue;
            }
            if (other.equals("+") || !level.equals(other)) {
                return false;
            }
        }
        return levels.length == inner.length;
    }

    private static boolean isWildcard(String level) {
        return level.equals("+") || level.equals("#");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicPattern other && Arrays.equals(levels, other.levels);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(levels);
    }

    @Override
    public String toString() {
        return filter;
    }
}
