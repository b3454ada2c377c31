package io.tern.bridge.coap;

import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.elements.auth.PreSharedKeyIdentity;

import java.security.Principal;

/**
 * Who sent a CoAP request: the pre-shared-key identity the DTLS handshake proved, or null for
 * plain CoAP (anonymous). That identity is the username for authorization.
 */
final class CoapIdentity {
    private CoapIdentity() {
    }

    static String of(Request request) {
        Principal peer = request.getSourceContext() == null ? null : request.getSourceContext().getPeerIdentity();
        if (peer instanceof PreSharedKeyIdentity psk) {
            return psk.getIdentity();
        }
        return peer == null ? null : peer.getName();
    }
}
