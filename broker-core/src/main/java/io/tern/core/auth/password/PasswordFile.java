package io.tern.core.auth.password;

import io.tern.core.auth.AuthFileException;
import io.tern.core.auth.AuthFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A password file of {@code username:hash} lines (Mosquitto's format; see {@link PasswordHash}).
 * Blank lines and lines starting with '#' are ignored.
 */
public record PasswordFile(Map<String, PasswordHash> users) {

    public PasswordFile {
        users = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(users));
    }

    public static PasswordFile empty() {
        return new PasswordFile(Map.of());
    }

    public PasswordHash hashOf(String username) {
        return users.get(username);
    }

    public PasswordFile with(String username, PasswordHash hash) {
        Map<String, PasswordHash> next = new LinkedHashMap<>(users);
        next.put(username, hash);
        return new PasswordFile(next);
    }

    public PasswordFile without(String username) {
        Map<String, PasswordHash> next = new LinkedHashMap<>(users);
        next.remove(username);
        return new PasswordFile(next);
    }

    public static PasswordFile read(Path file) throws AuthFileException {
        return parse(AuthFiles.readText(file), file.toString());
    }

    public static PasswordFile parse(String text, String source) throws AuthFileException {
        Map<String, PasswordHash> users = new LinkedHashMap<>();
        for (AuthFiles.Line meaningful : AuthFiles.meaningfulLines(text, source)) {
            String line = meaningful.text();
            String where = meaningful.where();
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new AuthFileException(where + ": expected username:hash");
            }
            String username = line.substring(0, colon);
            // The hash itself is never echoed: a log line must not carry it.
            PasswordHash hash = PasswordHash.parse(line.substring(colon + 1));
            if (hash == null) {
                throw new AuthFileException(where + ": the hash of user '" + username
                        + "' is in no known format (expected $7$ PBKDF2-SHA512 or $6$ SHA-512, as mosquitto_passwd writes)");
            }
            if (users.putIfAbsent(username, hash) != null) {
                throw new AuthFileException(where + ": user '" + username + "' appears twice");
            }
        }
        return new PasswordFile(users);
    }

    /** Writes the file atomically (temporary file, then rename), readable by its owner only. */
    public void write(Path file) throws IOException {
        StringBuilder text = new StringBuilder();
        users.forEach((user, hash) -> text.append(user).append(':').append(hash.encoded()).append('\n'));
        Path directory = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(directory, ".passwd", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the platform's default
            }
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
