package io.tern.core.routing;

/** MQTT 5 Retain Handling subscription option [MQTT-3.8.3.1]. */
public enum RetainHandling {
    SEND_ON_SUBSCRIBE,
    SEND_IF_NEW_SUBSCRIPTION,
    DO_NOT_SEND;

    public static RetainHandling of(int value) {
        return values()[value];
    }
}
