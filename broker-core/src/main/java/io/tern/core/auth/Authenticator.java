package io.tern.core.auth;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client may connect. The answer is a {@link CompletionStage} so that an
 * implementation calling an external system completes it from its own threads; it must never
 * block the caller, which is an event loop.
 */
@FunctionalInterface
public interface Authenticator {

    CompletionStage<AuthenticationOutcome> authenticate(Credentials credentials);

    /** Lets everyone in (the default when no password file is configured). */
    static Authenticator allowAll() {
        return credentials -> CompletableFuture.completedFuture(new AuthenticationOutcome.Allowed(credentials.username()));
    }
}
