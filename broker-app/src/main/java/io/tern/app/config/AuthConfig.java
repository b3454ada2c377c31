package io.tern.app.config;

import java.nio.file.Path;

/**
 * Who may connect and what they may do.
 *
 * @param allowAnonymous clients without a username may connect
 * @param passwordFile   {@code username:hash} lines (mosquitto_passwd format), or null: any username is accepted
 * @param aclFile        Mosquitto-style ACL, or null: every client may publish and subscribe anywhere
 */
public record AuthConfig(boolean allowAnonymous, Path passwordFile, Path aclFile) {
}
