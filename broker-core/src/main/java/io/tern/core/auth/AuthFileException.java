package io.tern.core.auth;

/** A password or ACL file that cannot be used; the message names the file and line. */
public final class AuthFileException extends Exception {
    public AuthFileException(String message) {
        super(message);
    }

    /** A file's text, or this exception naming the file when it cannot be read. */
    public static String readText(java.nio.file.Path file) throws AuthFileException {
        try {
            return java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AuthFileException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
