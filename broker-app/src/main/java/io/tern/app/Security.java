package io.tern.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.tern.core.Clocks;
import io.tern.app.config.AuthConfig;
import io.tern.core.auth.AuthFileException;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.auth.ReloadableAuthorizer;
import io.tern.core.auth.acl.AclAuthorizer;
import io.tern.core.auth.acl.AclFile;
import io.tern.core.auth.password.PasswordFile;
import io.tern.core.auth.password.PasswordFileAuthenticator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's authentication and authorization, built from the {@code auth} section and
 * reloadable as a whole: a reload either applies both files or keeps everything as it was.
 */
final class Security implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Security.class);

    private final PasswordFileAuthenticator authenticator;
    private final ReloadableAuthorizer authorizer;

    private record Loaded(PasswordFile passwords, Authorizer authorizer, String summary) {
    }

    /** Reads the files; a file that cannot be used stops start-up with its name and line. */
    Security(AuthConfig config, MeterRegistry registry) throws AuthFileException {
        Loaded loaded = load(config);
        this.authenticator = new PasswordFileAuthenticator(loaded.passwords, config.allowAnonymous(), registry,
                Clocks.SYSTEM_MILLIS);
        this.authorizer = new ReloadableAuthorizer(loaded.authorizer);
        LOG.info("auth_loaded allow_anonymous={} {}", config.allowAnonymous(), loaded.summary);
    }

    /** Checks that the files of {@code config} can be used, without applying them (check-config). */
    static void check(AuthConfig config) throws AuthFileException {
        load(config);
    }

    private static Loaded load(AuthConfig config) throws AuthFileException {
        PasswordFile passwords = config.passwordFile() == null ? null : PasswordFile.read(config.passwordFile());
        AclFile acl = config.aclFile() == null ? null : AclFile.read(config.aclFile());
        String summary = "password_users=" + (passwords == null ? "none" : passwords.users().size())
                + " acl=" + (acl == null ? "none" : "on");
        return new Loaded(passwords, acl == null ? Authorizer.allowAll() : new AclAuthorizer(acl), summary);
    }

    Authenticator authenticator() {
        return authenticator;
    }

    Authorizer authorizer() {
        return authorizer;
    }

    /** Applies reloaded files: connected clients follow the new ACL at once. False keeps the old rules. */
    boolean reload(AuthConfig config) {
        Loaded loaded;
        try {
            loaded = load(config);
        } catch (AuthFileException e) {
            LOG.warn("auth_reload_failed kept=previous error=\"{}\"", e.getMessage());
            return false;
        }
        authenticator.replace(loaded.passwords, config.allowAnonymous());
        authorizer.replace(loaded.authorizer);
        LOG.info("auth_reloaded allow_anonymous={} {}", config.allowAnonymous(), loaded.summary);
        return true;
    }

    @Override
    public void close() {
        authenticator.close();
    }
}
