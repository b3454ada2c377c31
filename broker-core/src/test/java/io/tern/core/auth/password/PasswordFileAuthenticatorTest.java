package io.tern.core.auth.password;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tern.core.ReasonCode;
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Credentials;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class PasswordFileAuthenticatorTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PasswordFile passwords = PasswordFile.empty()
            .with("alice", PasswordHash.create(bytes("wonderland"), 1_000));
    private final PasswordFileAuthenticator authenticator =
            new PasswordFileAuthenticator(passwords, false, registry, System::currentTimeMillis);

    @AfterEach
    void close() {
        authenticator.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private AuthenticationOutcome login(String user, String password, String address) throws Exception {
        return authenticator.authenticate(new Credentials("c", user, password == null ? null : bytes(password),
                address, "mqtt")).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private double failures() {
        return registry.get("tern.auth.failures").counter().count();
    }

    @Test
    void rightPasswordInWrongOneOutUnknownUserOut() throws Exception {
        assertThat(login("alice", "wonderland", "10.0.0.1")).isEqualTo(new AuthenticationOutcome.Allowed("alice"));
        assertThat(login("alice", "wrong", "10.0.0.2")).isInstanceOfSatisfying(AuthenticationOutcome.Denied.class,
                d -> assertThat(d.reasonCode()).isEqualTo(ReasonCode.BAD_USER_NAME_OR_PASSWORD));
        assertThat(login("mallory", "wonderland", "10.0.0.3")).isInstanceOf(AuthenticationOutcome.Denied.class);
        assertThat(login("alice", null, "10.0.0.4")).isInstanceOf(AuthenticationOutcome.Denied.class);
        assertThat(failures()).isEqualTo(3);
    }

    @Test
    void anonymousOnlyWhenAllowedAndVerifiedIdentitiesAlways() throws Exception {
        assertThat(login(null, null, "10.0.0.1")).isInstanceOfSatisfying(AuthenticationOutcome.Denied.class,
                d -> assertThat(d.reasonCode()).isEqualTo(ReasonCode.NOT_AUTHORIZED));
        authenticator.replace(passwords, true);
        assertThat(login(null, null, "10.0.0.1")).isEqualTo(new AuthenticationOutcome.Allowed(null));
        assertThat(login(null, "token", "10.0.0.1")).isInstanceOf(AuthenticationOutcome.Denied.class);
        AuthenticationOutcome certificate = authenticator.authenticate(new Credentials("c", "ignored", null,
                "10.0.0.1", "mqtt", "device-42")).toCompletableFuture().get();
        assertThat(certificate).isEqualTo(new AuthenticationOutcome.Allowed("device-42"));
    }

    @Test
    void withoutAPasswordFileAnyUserIsAcceptedOnlyWhenAnonymousIsAllowed() throws Exception {
        authenticator.replace(null, true);
        assertThat(login("anyone", "anything", "10.0.0.1")).isEqualTo(new AuthenticationOutcome.Allowed("anyone"));
        authenticator.replace(null, false);
        assertThat(login("anyone", "anything", "10.0.0.1")).isInstanceOf(AuthenticationOutcome.Denied.class);
    }

    @Test
    void aReplacedFileAppliesToTheNextLogin() throws Exception {
        authenticator.replace(PasswordFile.empty().with("bob", PasswordHash.create(bytes("builder"), 1_000)), false);
        assertThat(login("alice", "wonderland", "10.0.0.1")).isInstanceOf(AuthenticationOutcome.Denied.class);
        assertThat(login("bob", "builder", "10.0.0.2")).isEqualTo(new AuthenticationOutcome.Allowed("bob"));
    }

    @Test
    void aVerifiedPasswordIsRememberedUntilAReloadAndAWrongOneIsNot() throws Exception {
        assertThat(login("alice", "wonderland", "10.0.0.1")).isEqualTo(new AuthenticationOutcome.Allowed("alice"));
        // Remembered: answered at once, on the caller's thread, without the hashing pool.
        var again = authenticator.authenticate(new Credentials("c", "alice", bytes("wonderland"), "10.0.0.1", "mqtt"));
        assertThat(again.toCompletableFuture().isDone()).isTrue();
        assertThat(again.toCompletableFuture().get()).isEqualTo(new AuthenticationOutcome.Allowed("alice"));
        assertThat(login("alice", "wonderland!", "10.0.0.5")).isInstanceOf(AuthenticationOutcome.Denied.class);
        authenticator.replace(PasswordFile.empty().with("alice", PasswordHash.create(bytes("new-pw"), 1_000)), false);
        assertThat(login("alice", "wonderland", "10.0.0.6")).isInstanceOf(AuthenticationOutcome.Denied.class);
        assertThat(login("alice", "new-pw", "10.0.0.7")).isEqualTo(new AuthenticationOutcome.Allowed("alice"));
    }

    @Test
    void repeatedFailuresFromOneAddressAreThrottled() throws Exception {
        login("alice", "wrong", "10.9.9.9");
        login("alice", "wrong", "10.9.9.9");
        assertThat(login("alice", "wonderland", "10.9.9.9")).isEqualTo(new AuthenticationOutcome.Allowed("alice"));
        assertThat(registry.get("tern.auth.throttled").counter().count()).isEqualTo(2);
        // The success cleared the address.
        login("alice", "wonderland", "10.9.9.9");
        assertThat(registry.get("tern.auth.throttled").counter().count()).isEqualTo(2);
    }
}
