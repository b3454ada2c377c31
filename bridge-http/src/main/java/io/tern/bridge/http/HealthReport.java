package io.tern.bridge.http;

import java.util.Map;

/**
 * What {@code GET /health} reports.
 *
 * @param serving   false while starting or stopping: the endpoint answers 503
 * @param listeners listener name to state ("up", "off", ...) and address
 */
public record HealthReport(boolean serving, Map<String, ListenerState> listeners) {

    public record ListenerState(String state, String address) {
    }
}
