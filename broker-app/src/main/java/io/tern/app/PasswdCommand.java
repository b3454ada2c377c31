package io.tern.app;

import io.tern.core.auth.AuthFileException;
import io.tern.core.auth.password.PasswordFile;
import io.tern.core.auth.password.PasswordHash;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code java -jar tern.jar passwd [-D] [--iterations N] FILE USER}: adds or changes a user in a
 * password file (created if missing), or deletes one. The password is read from the terminal
 * (twice, not echoed) or, when input is not a terminal, as one line from standard input; never
 * from the command line, where other users could see it in the process list.
 */
final class PasswdCommand {
    private PasswdCommand() {
    }

    static String usage() {
        return """
                Usage: java -jar tern.jar passwd [-D] [--iterations N] FILE USER

                Adds USER to the password FILE (created if missing) or changes their password; -D
                deletes USER. The password is prompted for, or read as one line from standard input
                when it is not a terminal (echo "$PW" | java -jar tern.jar passwd FILE USER).
                Hashes are PBKDF2-HMAC-SHA512 in mosquitto_passwd's $7$ format, %d iterations by
                default; files written by mosquitto_passwd are read as they are."""
                .formatted(PasswordHash.DEFAULT_ITERATIONS);
    }

    static int run(String[] args, Console console, InputStream in, PrintStream out, PrintStream err) {
        boolean delete = false;
        int iterations = PasswordHash.DEFAULT_ITERATIONS;
        String file = null;
        String user = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-D")) {
                delete = true;
            } else if (arg.equals("--iterations") && i + 1 < args.length) {
                try {
                    iterations = Integer.parseInt(args[++i]);
                } catch (NumberFormatException e) {
                    iterations = 0;
                }
                if (iterations < 1_000 || iterations > 10_000_000) {
                    err.println("tern passwd: --iterations takes a number from 1000 to 10000000, got '" + args[i] + "'");
                    return TernMain.EXIT_USAGE;
                }
            } else if (arg.equals("-h") || arg.equals("--help")) {
                out.println(usage());
                return TernMain.EXIT_OK;
            } else if (file == null) {
                file = arg;
            } else if (user == null) {
                user = arg;
            } else {
                err.println("tern passwd: unexpected argument '" + arg + "'\n" + usage());
                return TernMain.EXIT_USAGE;
            }
        }
        if (file == null || user == null) {
            err.println("tern passwd: needs FILE and USER\n" + usage());
            return TernMain.EXIT_USAGE;
        }
        if (user.isEmpty() || user.indexOf(':') >= 0 || user.chars().anyMatch(Character::isISOControl)) {
            err.println("tern passwd: a username must be non-empty, without ':' or control characters");
            return TernMain.EXIT_USAGE;
        }
        Path path = Path.of(file);
        PasswordFile passwords;
        try {
            passwords = Files.exists(path) ? PasswordFile.read(path) : PasswordFile.empty();
        } catch (AuthFileException e) {
            err.println("tern passwd: " + e.getMessage());
            return TernMain.EXIT_START_FAILED;
        }
        if (delete) {
            if (passwords.hashOf(user) == null) {
                err.println("tern passwd: no user '" + user + "' in " + file);
                return TernMain.EXIT_START_FAILED;
            }
            passwords = passwords.without(user);
        } else {
            byte[] password = readPassword(console, in, err);
            if (password == null) {
                return TernMain.EXIT_START_FAILED;
            }
            passwords = passwords.with(user, PasswordHash.create(password, iterations));
            Arrays.fill(password, (byte) 0);
        }
        try {
            passwords.write(path);
        } catch (IOException e) {
            err.println("tern passwd: cannot write " + file + " (" + e.getMessage() + ")");
            return TernMain.EXIT_START_FAILED;
        }
        out.println("tern passwd: " + (delete ? "deleted " : "set password of ") + user + " in " + file
                + " (send SIGHUP to a running broker to apply)");
        return TernMain.EXIT_OK;
    }

    private static byte[] readPassword(Console console, InputStream in, PrintStream err) {
        if (console != null) {
            char[] first = console.readPassword("Password: ");
            char[] second = console.readPassword("Reenter password: ");
            try {
                if (first == null || second == null || !Arrays.equals(first, second)) {
                    err.println("tern passwd: passwords do not match");
                    return null;
                }
                return toUtf8(first);
            } finally {
                if (first != null) {
                    Arrays.fill(first, '\0');
                }
                if (second != null) {
                    Arrays.fill(second, '\0');
                }
            }
        }
        try {
            String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) {
                err.println("tern passwd: no password on standard input");
                return null;
            }
            return line.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("tern passwd: cannot read the password (" + e.getMessage() + ")");
            return null;
        }
    }

    private static byte[] toUtf8(char[] chars) {
        java.nio.ByteBuffer buffer = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(chars));
        byte[] bytes = Arrays.copyOf(buffer.array(), buffer.limit());
        Arrays.fill(buffer.array(), (byte) 0);
        return bytes;
    }
}
