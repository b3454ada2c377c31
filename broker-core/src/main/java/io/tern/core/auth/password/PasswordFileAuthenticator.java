package io.tern.core.auth.password;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tern.core.ReasonCode;
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Credentials;

import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Checks usernames and passwords against a {@link PasswordFile}. Hashing is deliberately slow
 * (PBKDF2), so it runs on its own bounded pool, never on an event loop; when that pool is full
 * the client is told the server is busy (0x89). Failures slow down further attempts from the same
 * address ({@link LoginThrottle}). The file can be replaced at run time ({@link #replace}).
 *
 * <p>A password that passed is remembered in memory as a salted SHA-256 (never in plain), so a
 * client that reconnects (a network blip makes thousands do so at once) is checked in
 * microseconds instead of paying PBKDF2 again. A reload forgets them all.
 */
public final class PasswordFileAuthenticator implements Authenticator, AutoCloseable {
    private static final int MAX_WAITING = 4096;

    private volatile PasswordFile passwords;
    private volatile boolean allowAnonymous;
    private final LoginThrottle throttle;
    private final ThreadPoolExecutor hashing;
    private final ScheduledExecutorService delays;
    private final Counter failures;
    private final Counter throttled;
    private final Counter busy;
    private final Map<String, byte[]> recentlyVerified = new ConcurrentHashMap<>();
    private final byte[] cacheSalt = new byte[16];
    private static final int MAX_REMEMBERED = 100_000;

    public PasswordFileAuthenticator(PasswordFile passwords, boolean allowAnonymous, MeterRegistry registry,
                                     LongSupplier clock) {
        this.passwords = passwords;
        this.allowAnonymous = allowAnonymous;
        this.throttle = new LoginThrottle(clock);
        new java.security.SecureRandom().nextBytes(cacheSalt);
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger ids = new AtomicInteger();
        this.hashing = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(MAX_WAITING), r -> daemon(r, "tern-auth-" + ids.incrementAndGet()));
        this.delays = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "tern-auth-delay"));
        this.failures = Counter.builder("tern.auth.failures").description("Logins refused: wrong or missing credentials")
                .register(registry);
        this.throttled = Counter.builder("tern.auth.throttled")
                .description("Logins delayed because their address failed recently").register(registry);
        this.busy = Counter.builder("tern.auth.busy")
                .description("Logins refused with 0x89 because password checks were backed up").register(registry);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Swaps in reloaded settings; logins in progress finish with the old ones.
     *
     * @param next the password file, or null for none: then any username is accepted when
     *             {@code nextAllowAnonymous}, and only transport-verified identities otherwise
     */
    public void replace(PasswordFile next, boolean nextAllowAnonymous) {
        passwords = next;
        allowAnonymous = nextAllowAnonymous;
        recentlyVerified.clear();
    }

    @Override
    public CompletionStage<AuthenticationOutcome> authenticate(Credentials credentials) {
        if (credentials.verifiedIdentity() != null) {
            // The TLS or DTLS handshake proved this identity.
            return CompletableFuture.completedFuture(new AuthenticationOutcome.Allowed(credentials.verifiedIdentity()));
        }
        if (credentials.username() == null) {
            if (credentials.password() == null && allowAnonymous) {
                return CompletableFuture.completedFuture(new AuthenticationOutcome.Allowed(null));
            }
            failures.increment();
            return CompletableFuture.completedFuture(credentials.password() == null
                    ? new AuthenticationOutcome.Denied(ReasonCode.NOT_AUTHORIZED, "anonymous clients are not allowed")
                    : new AuthenticationOutcome.Denied(ReasonCode.BAD_USER_NAME_OR_PASSWORD, "password without a username"));
        }
        if (passwords == null) {
            if (allowAnonymous) {
                return CompletableFuture.completedFuture(new AuthenticationOutcome.Allowed(credentials.username()));
            }
            failures.increment();
            return CompletableFuture.completedFuture(new AuthenticationOutcome.Denied(ReasonCode.BAD_USER_NAME_OR_PASSWORD,
                    "no password file: only clients with a verified certificate may connect"));
        }
        byte[] remembered = credentials.password() == null ? null : recentlyVerified.get(credentials.username());
        if (remembered != null && MessageDigest.isEqual(remembered, fastDigest(credentials.password()))) {
            return CompletableFuture.completedFuture(new AuthenticationOutcome.Allowed(credentials.username()));
        }
        CompletableFuture<AuthenticationOutcome> result = new CompletableFuture<>();
        long delay = throttle.delayMillis(credentials.remoteAddress());
        if (delay > 0) {
            throttled.increment();
            delays.schedule(() -> check(credentials, result), delay, TimeUnit.MILLISECONDS);
        } else {
            check(credentials, result);
        }
        return result;
    }

    private void check(Credentials credentials, CompletableFuture<AuthenticationOutcome> result) {
        try {
            hashing.execute(() -> result.complete(verify(credentials)));
        } catch (RejectedExecutionException e) {
            busy.increment();
            result.complete(new AuthenticationOutcome.Denied(ReasonCode.SERVER_BUSY, "too many logins in progress"));
        }
    }

    private AuthenticationOutcome verify(Credentials credentials) {
        PasswordFile file = passwords;
        if (file == null) {
            return new AuthenticationOutcome.Denied(ReasonCode.BAD_USER_NAME_OR_PASSWORD, "no password file");
        }
        PasswordHash hash = file.hashOf(credentials.username());
        byte[] password = credentials.password() == null ? new byte[0] : credentials.password();
        boolean matches;
        if (hash == null) {
            // An unknown user costs as much as a wrong password, so timing does not tell which names exist.
            file.users().values().stream().findFirst().ifPresent(any -> any.verify(password));
            matches = false;
        } else {
            matches = hash.verify(password);
        }
        if (matches && credentials.password() != null) {
            throttle.succeeded(credentials.remoteAddress());
            if (recentlyVerified.size() >= MAX_REMEMBERED) {
                recentlyVerified.clear();
            }
            if (passwords == file) { // not replaced while this check ran
                recentlyVerified.put(credentials.username(), fastDigest(credentials.password()));
            }
            return new AuthenticationOutcome.Allowed(credentials.username());
        }
        throttle.failed(credentials.remoteAddress());
        failures.increment();
        return new AuthenticationOutcome.Denied(ReasonCode.BAD_USER_NAME_OR_PASSWORD, "bad username or password");
    }

    private byte[] fastDigest(byte[] password) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(cacheSalt);
            return digest.digest(password);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        delays.shutdownNow();
        hashing.shutdownNow();
    }
}
