package io.tern.core.session;

/** How a connection ended, which decides whether the will is published [MQTT-3.1.2-8, 3.14.4-3]. */
public enum DisconnectKind {
    /** DISCONNECT with reason 0x00: the will is discarded. */
    NORMAL,
    /** v5 DISCONNECT 0x04: publish the will. */
    WITH_WILL,
    /** Network loss, protocol error, keep-alive timeout, server close: publish the will. */
    ABNORMAL
}
