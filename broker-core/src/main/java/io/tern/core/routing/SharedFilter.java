package io.tern.core.routing;

/** A parsed {@code $share/{group}/{filter}} subscription [MQTT-4.8.2]. */
public record SharedFilter(String group, String filter) {

    /** Parses a shared filter; null when it is malformed (empty group, wildcard in group, no filter). */
    public static SharedFilter parse(String raw) {
        if (!raw.startsWith(Topics.SHARE_PREFIX)) {
            return null;
        }
        int groupEnd = raw.indexOf('/', Topics.SHARE_PREFIX.length());
        if (groupEnd < 0) {
            return null;
        }
        String group = raw.substring(Topics.SHARE_PREFIX.length(), groupEnd);
        String filter = raw.substring(groupEnd + 1);
        if (group.isEmpty() || group.indexOf('+') >= 0 || group.indexOf('#') >= 0 || filter.isEmpty()) {
            return null;
        }
        return new SharedFilter(group, filter);
    }
}
