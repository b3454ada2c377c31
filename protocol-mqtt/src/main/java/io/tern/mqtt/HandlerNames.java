package io.tern.mqtt;

/** Pipeline handler names, shared by every transport that ends in the MQTT tail. */
public final class HandlerNames {
    public static final String DECODER = "mqtt-decoder";
    public static final String ENCODER = "mqtt-encoder";
    public static final String CONNECTION = "mqtt-connection";

    private HandlerNames() {
    }
}
