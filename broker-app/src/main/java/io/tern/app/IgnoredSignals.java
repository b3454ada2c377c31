package io.tern.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which signals this process ignores, as Linux reports them in {@code /proc/self/status}.
 *
 * <p>Needed because the JVM leaves a signal that was ignored when it started ignored: under
 * {@code nohup} a handler for HUP is silently never installed, and {@code kill -HUP} does nothing.
 */
final class IgnoredSignals {
    private static final Path STATUS = Path.of("/proc/self/status");

    private IgnoredSignals() {
    }

    /** Whether signal {@code number} is ignored; false where {@code /proc} cannot tell. */
    static boolean isIgnored(int number) {
        try {
            return ignoredIn(Files.readString(STATUS), number);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** From the text of a {@code /proc/PID/status}: its {@code SigIgn} mask has bit number - 1. */
    static boolean ignoredIn(String status, int number) {
        for (String line : status.split("\n")) {
            if (line.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (mask & (1L << (number - 1))) != 0;
            }
        }
        return false;
    }
}
