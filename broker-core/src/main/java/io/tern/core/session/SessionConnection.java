package io.tern.core.session;

import io.tern.core.ReasonCode;

import java.util.concurrent.Executor;

/**
 * The outbound side of a client connection, as a session sees it. Implemented by each protocol
 * (the MQTT tail); the session calls it only from its owner thread, which while the connection
 * is attached is {@link #executor()}.
 */
public interface SessionConnection {

    /** A short label of the transport for metrics: tcp, ws. */
    String transport();

    /** The connection's own thread (its event loop): the session's owner while attached. */
    Executor executor();

    /**
     * The outcome of the connect. An {@link ConnectOutcome.Accepted} is delivered on
     * {@link #executor()} before the session sends anything else, so the CONNACK goes first.
     * A {@link ConnectOutcome.Rejected} may arrive on any thread.
     */
    void onConnectOutcome(ConnectOutcome outcome);

    /**
     * Writes a PUBLISH (not flushed).
     *
     * @return false if the packet exceeds the client's Maximum Packet Size and was discarded
     *         [MQTT-3.1.2-24]
     */
    boolean sendPublish(OutboundPublish publish);

    /** Writes a PUBREL for an outbound QoS 2 message (not flushed). */
    void sendPubRel(int packetId, ReasonCode reasonCode);

    /** False while the socket's outbound buffer is full; the session then queues. */
    boolean isWritable();

    void flush();

    /** Server-initiated close (takeover, shutdown): a v5 DISCONNECT with the reason, then close. */
    void close(ReasonCode reasonCode);
}
