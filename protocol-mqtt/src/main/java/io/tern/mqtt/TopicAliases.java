package io.tern.mqtt;

import java.util.HashMap;
import java.util.Map;

/** Inbound v5 topic aliases of one connection [MQTT-3.3.2-?]: alias -> topic, set by the client. */
final class TopicAliases {

    /** The topic to use, or the problem. */
    sealed interface Resolution {
        record Topic(String topic) implements Resolution {
        }

        record Invalid(String problem) implements Resolution {
        }

        /** An empty topic with an alias never set: a Protocol Error [MQTT-3.3.4-?]. */
        record Unknown(int alias) implements Resolution {
        }
    }

    /** For v3 connections, shared by all: with no alias allowed it never stores one. */
    static final TopicAliases NONE = new TopicAliases(0);

    private final int maximum;
    private final Map<Integer, String> topics = new HashMap<>();

    TopicAliases(int maximum) {
        this.maximum = maximum;
    }

    Resolution resolve(String topic, Integer alias) {
        if (alias == null) {
            return new Resolution.Topic(topic);
        }
        // [MQTT-3.3.2-8]/[MQTT-3.3.2-9]: 0 and values above our Topic Alias Maximum are errors.
        if (alias == 0 || alias > maximum) {
            return new Resolution.Invalid("topic alias " + alias + " outside 1.." + maximum);
        }
        if (topic == null || topic.isEmpty()) {
            String known = topics.get(alias);
            return known == null ? new Resolution.Unknown(alias) : new Resolution.Topic(known);
        }
        topics.put(alias, topic);
        return new Resolution.Topic(topic);
    }
}
