package io.tern.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

class IgnoredSignalsTest {

    private static String status(String sigIgn) {
        return "Name:\tjava\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t" + sigIgn
                + "\nSigCgt:\t2000000181005ccf\n";
    }

    @Test
    void readsTheIgnoredMaskBitForTheSignalNumber() {
        // nohup: HUP (1) ignored, and here INT (2) as well; TERM (15) handled.
        String status = status("0000000000000003");
        assertThat(IgnoredSignals.ignoredIn(status, 1)).isTrue();
        assertThat(IgnoredSignals.ignoredIn(status, 2)).isTrue();
        assertThat(IgnoredSignals.ignoredIn(status, 15)).isFalse();
    }

    @Test
    void highSignalNumbersAndAFullMaskParse() {
        assertThat(IgnoredSignals.ignoredIn(status("8000000000000000"), 64)).isTrue();
        assertThat(IgnoredSignals.ignoredIn(status("8000000000000000"), 1)).isFalse();
    }

    @Test
    void noMaskMeansNotIgnored() {
        assertThat(IgnoredSignals.ignoredIn("Name:\tjava\n", 1)).isFalse();
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void thisTestProcessIsReadFromProc() {
        // Whatever the runner ignores, a real /proc/self/status parses without error and agrees
        // with the mask read by hand.
        assertThat(IgnoredSignals.isIgnored(1)).isEqualTo(handReadHangUpIgnored());
    }

    private static boolean handReadHangUpIgnored() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(line.split("\\s+")[1], 16) & 1) != 0;
                }
            }
        } catch (java.io.IOException e) {
            return false;
        }
        return false;
    }
}
