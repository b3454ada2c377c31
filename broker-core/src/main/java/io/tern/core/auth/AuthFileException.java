package io.tern.core.auth;

/** A password or ACL file that cannot be used; the message names the file and line. */
public final class AuthFileException extends Exception {
    public AuthFileException(String message) {
        super(message);
    }
}
