package io.tern.core.auth;

import io.tern.core.ReasonCode;

/** The decision of an {@link Authenticator}. */
public sealed interface AuthenticationOutcome {
    /** @param username the identity to use for authorization (may differ from the presented one) */
    record Allowed(String username) implements AuthenticationOutcome {
    }

    /** @param reasonCode usually {@link ReasonCode#BAD_USER_NAME_OR_PASSWORD} or {@link ReasonCode#NOT_AUTHORIZED} */
    record Denied(ReasonCode reasonCode, String reason) implements AuthenticationOutcome {
    }
}
