package io.tern.core.routing;

import java.nio.charset.StandardCharsets;

/** Topic name and topic filter rules of MQTT section 4.7. */
public final class Topics {
    /** Strings in MQTT are at most 65535 bytes of UTF-8 [MQTT-1.5.4-?]. */
    public static final int MAX_TOPIC_BYTES = 65_535;
    public static final String SHARE_PREFIX = "$share/";
    private static final String NOT_UTF8 = "not valid UTF-8: half of a surrogate pair";

    private Topics() {
    }

    /**
     * A topic name a message may be published to: non-empty [MQTT-4.7.3-1], no wildcards
     * [MQTT-3.3.2-2], no U+0000 [MQTT-1.5.4-2], at most 65535 bytes.
     */
    public static TopicCheck checkTopicName(String topic) {
        if (topic == null || topic.isEmpty()) {
            return new TopicCheck.Invalid("topic name is empty");
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            if (c == '+' || c == '#') {
                return new TopicCheck.Invalid("topic name contains wildcard '" + c + "'");
            }
            if (c == '\u0000') {
                return new TopicCheck.Invalid("topic name contains U+0000");
            }
        }
        if (hasUnpairedSurrogate(topic)) {
            return new TopicCheck.Invalid(NOT_UTF8);
        }
        if (utf8Length(topic) > MAX_TOPIC_BYTES) {
            return new TopicCheck.Invalid("topic name longer than 65535 bytes");
        }
        return TopicCheck.VALID;
    }

    /**
     * A topic filter: non-empty, '#' only as the whole last level [MQTT-4.7.1-2], '+' only as a
     * whole level [MQTT-4.7.1-3]. Shared subscriptions must be {@code $share/{group}/{filter}}
     * with a non-empty group free of wildcards [MQTT-4.8.2-1, 4.8.2-2].
     */
    public static TopicCheck checkTopicFilter(String filter) {
        if (filter == null || filter.isEmpty()) {
            return new TopicCheck.Invalid("topic filter is empty");
        }
        if (utf8Length(filter) > MAX_TOPIC_BYTES) {
            return new TopicCheck.Invalid("topic filter longer than 65535 bytes");
        }
        if (filter.indexOf('\u0000') >= 0) {
            return new TopicCheck.Invalid("topic filter contains U+0000");
        }
        if (hasUnpairedSurrogate(filter)) {
            return new TopicCheck.Invalid(NOT_UTF8);
        }
        if (filter.startsWith(SHARE_PREFIX) || filter.equals("$share")) {
            SharedFilter shared = SharedFilter.parse(filter);
            if (shared == null) {
                return new TopicCheck.Invalid("shared subscription must be $share/{group}/{filter}");
            }
            return checkPlainFilter(shared.filter());
        }
        return checkPlainFilter(filter);
    }

    private static TopicCheck checkPlainFilter(String filter) {
        if (filter.isEmpty()) {
            return new TopicCheck.Invalid("topic filter is empty");
        }
        int levelStart = 0;
        int length = filter.length();
        for (int i = 0; i <= length; i++) {
            if (i == length || filter.charAt(i) == '/') {
                int levelLength = i - levelStart;
                for (int j = levelStart; j < i; j++) {
                    char c = filter.charAt(j);
                    if (c == '+' && levelLength != 1) {
                        return new TopicCheck.Invalid("'+' must occupy a whole level");
                    }
                    if (c == '#') {
                        if (levelLength != 1) {
                            return new TopicCheck.Invalid("'#' must occupy a whole level");
                        }
                        if (i != length) {
                            return new TopicCheck.Invalid("'#' must be the last level");
                        }
                    }
                }
                levelStart = i + 1;
            }
        }
        return TopicCheck.VALID;
    }

    /**
     * A string from a bridge (a JSON escape such as {@code "\\ud800"}) can hold half of a
     * surrogate pair, which has no UTF-8 encoding [MQTT-1.5.4-1]: an encoder would put a
     * replacement byte on the wire, and a packet's size computed beforehand would be wrong.
     */
    private static boolean hasUnpairedSurrogate(String s) {
        int length = s.length();
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            }
        }
        return false;
    }

    public static boolean hasWildcard(String filter) {
        return filter.indexOf('+') >= 0 || filter.indexOf('#') >= 0;
    }

    public static int utf8Length(String s) {
        int length = s.length();
        // ASCII fast path: most topics are plain ASCII.
        for (int i = 0; i < length; i++) {
            if (s.charAt(i) >= 0x80) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return length;
    }

    /** Splits on '/', keeping empty levels ("a//b" has three levels, "/" has two). */
    public static String[] levels(String topicOrFilter) {
        int count = 1;
        for (int i = 0; i < topicOrFilter.length(); i++) {
            if (topicOrFilter.charAt(i) == '/') {
                count++;
            }
        }
        String[] levels = new String[count];
        int start = 0;
        int index = 0;
        for (int i = 0; i < topicOrFilter.length(); i++) {
            if (topicOrFilter.charAt(i) == '/') {
                levels[index++] = topicOrFilter.substring(start, i);
                start = i + 1;
            }
        }
        levels[index] = topicOrFilter.substring(start);
        return levels;
    }
}
