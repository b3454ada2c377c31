package io.tern.bridge.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authorization headers that passed the authenticator in the last minute, so a client sending
 * one request per connection (curl in a loop) does not pay a PBKDF2 check each time. Only a
 * salted SHA-256 of the header is kept, never the header. A removed user or changed password
 * therefore keeps HTTP access for at most {@link #TTL_NANOS} after a reload.
 */
final class VerifiedCredentials {
    static final long TTL_NANOS = 60_000_000_000L;
    private static final int MAX_ENTRIES = 10_000;

    private record Entry(String username, long expiresAtNanos) {
    }

    /** A header verified earlier, as {@code username} (null: accepted without a username). */
    record Verified(String username) {
    }

    private final byte[] salt = new byte[16];
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    VerifiedCredentials() {
        new SecureRandom().nextBytes(salt);
    }

    /** What a header was verified as within the TTL, or null. */
    Verified lookup(String header) {
        Entry entry = entries.get(key(header));
        if (entry == null) {
            return null;
        }
        if (System.nanoTime() - entry.expiresAtNanos > 0) {
            entries.remove(key(header), entry);
            return null;
        }
        return new Verified(entry.username);
    }

    void remember(String header, String username) {
        if (entries.size() >= MAX_ENTRIES) {
            long now = System.nanoTime();
            entries.values().removeIf(e -> now - e.expiresAtNanos > 0);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
        }
        entries.put(key(header), new Entry(username, System.nanoTime() + TTL_NANOS));
    }

    private String key(String header) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(salt);
            return HexFormat.of().formatHex(digest.digest(header.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
