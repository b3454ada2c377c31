package io.tern.bridge.coap;

import java.util.Map;

/**
 * @param maxPayloadBytes   larger payloads (also when sent blockwise) get 4.13
 * @param maxObservers      observe registrations beyond this get 5.03
 * @param notificationCheckSeconds a notification is sent confirmable at least this often per
 *                          observer, so observers that went away are found and dropped
 * @param notificationCheckCount   ... and at least every this many notifications
 * @param dtls              DTLS with pre-shared keys on a second port, or null
 */
public record CoapSettings(String host, int port, int maxPayloadBytes, int maxObservers,
                           int notificationCheckSeconds, int notificationCheckCount, Dtls dtls,
                           boolean allowAnonymous) {

    public CoapSettings(String host, int port, int maxPayloadBytes, int maxObservers, int notificationCheckSeconds,
                        int notificationCheckCount, Dtls dtls) {
        this(host, port, maxPayloadBytes, maxObservers, notificationCheckSeconds, notificationCheckCount, dtls, true);
    }

    /** @param preSharedKeys identity to secret */
    public record Dtls(int port, Map<String, byte[]> preSharedKeys) {
        public Dtls {
            preSharedKeys = Map.copyOf(preSharedKeys);
        }
    }
}
