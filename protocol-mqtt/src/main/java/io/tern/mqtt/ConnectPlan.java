package io.tern.mqtt;

import io.tern.core.ReasonCode;
import io.tern.core.auth.Credentials;
import io.tern.core.session.WillMessage;

/** A CONNECT read and checked: either a plan to connect, or a refusal. */
sealed interface ConnectPlan {

    /**
     * @param assignedClientId   true when the server chose the id (sent back to v5 clients)
     * @param sessionExpiry      the expiry the session gets
     * @param expiryWasCapped    the client asked for more than the server allows (tell a v5 client)
     * @param keepAliveSeconds   the keep alive in force (0: none)
     * @param keepAliveChanged   differs from the client's (send Server Keep Alive to v5 clients)
     * @param clientReceiveMaximum outbound QoS 1/2 window
     * @param clientMaxPacketSize  outbound packet limit
     */
    record Accept(
            ProtocolAdapter adapter,
            String clientId,
            boolean assignedClientId,
            boolean cleanStart,
            long sessionExpiry,
            boolean expiryWasCapped,
            int keepAliveSeconds,
            boolean keepAliveChanged,
            WillMessage will,
            Credentials credentials,
            int clientReceiveMaximum,
            long clientMaxPacketSize,
            boolean requestResponseInformation) implements ConnectPlan {
    }

    /** Refused with a CONNACK carrying {@code reasonCode} (mapped for v3), then closed. */
    record Refuse(ProtocolAdapter adapter, ReasonCode reasonCode, String reason) implements ConnectPlan {
    }
}
