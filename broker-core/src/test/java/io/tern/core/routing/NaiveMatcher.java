package io.tern.core.routing;

/** The spec's matching rules written as plainly as possible, as the reference for property tests. */
final class NaiveMatcher {
    private NaiveMatcher() {
    }

    static boolean matches(String filter, String topic) {
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        if (topic.startsWith("$") && (f[0].equals("+") || f[0].equals("#"))) {
            return false; // [MQTT-4.7.2-1]
        }
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) {
                return true; // matches the parent and any number of levels below
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("+") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }
}
