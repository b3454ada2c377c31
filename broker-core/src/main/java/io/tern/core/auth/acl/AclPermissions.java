package io.tern.core.auth.acl;

import io.tern.core.auth.ClientPermissions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One client's rules. A matching deny rule wins; otherwise the client needs a rule granting the
 * access; anything not granted is refused. Decisions are cached per topic (bounded), since a
 * client usually publishes and receives on few topics many times.
 */
final class AclPermissions implements ClientPermissions {
    private static final int MAX_CACHED = 1024;

    private final List<Rule> rules = new ArrayList<>();
    private final Map<String, Boolean> publishDecisions = new ConcurrentHashMap<>();
    private final Map<String, Boolean> receiveDecisions = new ConcurrentHashMap<>();

    private record Rule(AclAccess access, TopicPattern pattern) {
    }

    AclPermissions(List<AclRule> clientRules) {
        for (AclRule rule : clientRules) {
            rules.add(new Rule(rule.access(), new TopicPattern(rule.filter())));
        }
    }

    @Override
    public boolean canPublish(String topic) {
        return cached(publishDecisions, topic, true);
    }

    @Override
    public boolean canReceive(String topic) {
        return cached(receiveDecisions, topic, false);
    }

    /**
     * A subscription is allowed when a read rule covers all of it and no deny rule does; a deny
     * rule inside it (or a rule changed later) is enforced per message by {@link #canReceive}.
     */
    @Override
    public boolean canSubscribe(String topicFilter) {
        boolean granted = false;
        for (Rule rule : rules) {
            if (rule.access == AclAccess.DENY) {
                if (rule.pattern.covers(topicFilter)) {
                    return false;
                }
            } else if (rule.access.grantsRead() && rule.pattern.covers(topicFilter)) {
                granted = true;
            }
        }
        return granted;
    }

    private boolean cached(Map<String, Boolean> decisions, String topic, boolean write) {
        Boolean known = decisions.get(topic);
        if (known != null) {
            return known;
        }
        boolean decision = decide(topic, write);
        if (decisions.size() >= MAX_CACHED) {
            decisions.clear();
        }
        decisions.put(topic, decision);
        return decision;
    }

    private boolean decide(String topic, boolean write) {
        String[] levels = topic.split("/", -1);
        boolean granted = false;
        for (Rule rule : rules) {
            if (rule.access == AclAccess.DENY) {
                if (rule.pattern.matches(levels)) {
                    return false;
                }
            } else if (!granted && (write ? rule.access.grantsWrite() : rule.access.grantsRead())
                    && rule.pattern.matches(levels)) {
                granted = true;
            }
        }
        return granted;
    }
}
