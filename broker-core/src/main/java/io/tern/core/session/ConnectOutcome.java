package io.tern.core.session;

import io.tern.core.ReasonCode;

/** The result of a connect attempt. */
public sealed interface ConnectOutcome {

    /**
     * @param session        the session now owned by the connection's thread
     * @param sessionPresent whether an existing session was resumed [MQTT-3.2.2-2]
     * @param generation     fences this attachment: later calls about it carry it back
     */
    record Accepted(Session session, boolean sessionPresent, long generation) implements ConnectOutcome {
    }

    record Rejected(ReasonCode reasonCode, String reason) implements ConnectOutcome {
    }
}
