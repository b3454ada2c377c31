package io.tern.core.auth.password;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A stored password hash in Mosquitto's {@code mosquitto_passwd} formats, so password files move
 * between the two brokers unchanged:
 * <ul>
 *   <li>{@code $7$ITERATIONS$SALT$HASH}: PBKDF2-HMAC-SHA512 (Mosquitto 2.0); what Tern writes.</li>
 *   <li>{@code $6$SALT$HASH}: one SHA-512 of password then salt (Mosquitto 1.x); read only.</li>
 * </ul>
 * Salt and hash are base64. Comparison is constant-time.
 */
public sealed interface PasswordHash {

    /**
     * Tern's default for new hashes. OWASP's 2023 figure for PBKDF2-HMAC-SHA512 is 210,000, which
     * costs 124 ms of CPU per login here: a 2-core broker would let only ~16 clients a second
     * back in after a restart. 20,000 (12.7 ms) is 200 times Mosquitto's 101 and keeps a restart
     * of thousands of devices to a minute or less; raise it with {@code passwd --iterations}.
     */
    int DEFAULT_ITERATIONS = 20_000;
    int SALT_BYTES = 12;
    int HASH_BYTES = 64;

    boolean verify(byte[] password);

    /** The line form after {@code username:}. */
    String encoded();

    record Pbkdf2Sha512(int iterations, byte[] salt, byte[] hash) implements PasswordHash {
        @Override
        public boolean verify(byte[] password) {
            return MessageDigest.isEqual(derive(password, salt, iterations, hash.length), hash);
        }

        @Override
        public String encoded() {
            Base64.Encoder base64 = Base64.getEncoder();
            return "$7$" + iterations + "$" + base64.encodeToString(salt) + "$" + base64.encodeToString(hash);
        }
    }

    record SaltedSha512(byte[] salt, byte[] hash) implements PasswordHash {
        @Override
        public boolean verify(byte[] password) {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-512");
                digest.update(password);
                digest.update(salt);
                return MessageDigest.isEqual(digest.digest(), hash);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-512 is part of every JDK", e);
            }
        }

        @Override
        public String encoded() {
            Base64.Encoder base64 = Base64.getEncoder();
            return "$6$" + base64.encodeToString(salt) + "$" + base64.encodeToString(hash);
        }
    }

    /** A new PBKDF2-SHA512 hash of {@code password} with a random salt. */
    static PasswordHash create(byte[] password, int iterations) {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        return new Pbkdf2Sha512(iterations, salt, derive(password, salt, iterations, HASH_BYTES));
    }

    /** Reads the part after {@code username:}; null if it is in no known format. */
    static PasswordHash parse(String encoded) {
        String[] parts = encoded.split("\\$", -1);
        try {
            Base64.Decoder base64 = Base64.getDecoder();
            if (parts.length == 5 && parts[0].isEmpty() && parts[1].equals("7")) {
                int iterations = Integer.parseInt(parts[2]);
                byte[] hash = base64.decode(parts[4]);
                return iterations < 1 || hash.length == 0 ? null
                        : new Pbkdf2Sha512(iterations, base64.decode(parts[3]), hash);
            }
            if (parts.length == 4 && parts[0].isEmpty() && parts[1].equals("6")) {
                byte[] hash = base64.decode(parts[3]);
                return hash.length != HASH_BYTES ? null : new SaltedSha512(base64.decode(parts[2]), hash);
            }
        } catch (IllegalArgumentException e) {
            return null; // bad number or base64
        }
        return null;
    }

    /**
     * PBKDF2-HMAC-SHA512 (RFC 8018) over the password's raw bytes. The JDK's PBEKeySpec takes
     * chars, which would mangle MQTT passwords that are not UTF-8, so the loop is written here.
     */
    private static byte[] derive(byte[] password, byte[] salt, int iterations, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA512");
            // An empty HMAC key equals a block of zeros; SecretKeySpec refuses empty keys.
            mac.init(new SecretKeySpec(password.length == 0 ? new byte[128] : password, "HmacSHA512"));
            int blockLength = mac.getMacLength();
            byte[] out = new byte[length];
            byte[] u = new byte[blockLength];
            byte[] t = new byte[blockLength];
            for (int block = 1, offset = 0; offset < length; block++, offset += blockLength) {
                mac.update(salt);
                mac.update(new byte[] {(byte) (block >>> 24), (byte) (block >>> 16), (byte) (block >>> 8), (byte) block});
                mac.doFinal(u, 0);
                System.arraycopy(u, 0, t, 0, blockLength);
                for (int i = 1; i < iterations; i++) {
                    mac.update(u);
                    mac.doFinal(u, 0);
                    for (int j = 0; j < blockLength; j++) {
                        t[j] ^= u[j];
                    }
                }
                System.arraycopy(t, 0, out, offset, Math.min(blockLength, length - offset));
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA512 is part of every JDK", e);
        }
    }
}
