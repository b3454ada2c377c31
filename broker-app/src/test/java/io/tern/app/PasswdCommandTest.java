package io.tern.app;

import io.tern.core.auth.password.PasswordFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PasswdCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return PasswdCommand.run(args, null, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void addsChangesAndDeletesUsersWithoutEverWritingThePassword(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("passwd");
        assertThat(run("first secret\n", "--iterations", "1000", file.toString(), "alice")).isZero();
        assertThat(run("bob-pw\n", "--iterations", "1000", file.toString(), "bob")).isZero();
        assertThat(run("second secret\n", "--iterations", "1000", file.toString(), "alice")).isZero();
        String text = Files.readString(file);
        assertThat(text).doesNotContain("secret").doesNotContain("bob-pw").startsWith("alice:$7$1000$");
        PasswordFile passwords = PasswordFile.read(file);
        assertThat(passwords.hashOf("alice").verify("second secret".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(passwords.hashOf("alice").verify("first secret".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(run("", "-D", file.toString(), "alice")).isZero();
        assertThat(PasswordFile.read(file).users()).containsOnlyKeys("bob");
        assertThat(run("", "-D", file.toString(), "alice")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no user 'alice'");
    }

    @Test
    void mistakesAreRefusedWithAReason(@TempDir Path dir) {
        Path file = dir.resolve("passwd");
        assertThat(run("x\n", file.toString(), "a:b")).isEqualTo(2);
        assertThat(run("x\n", "--iterations", "5", file.toString(), "a")).isEqualTo(2);
        assertThat(run("x\n", file.toString())).isEqualTo(2);
        assertThat(run("", "--iterations", "1000", file.toString(), "a")).isEqualTo(1); // no password given
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("':'").contains("--iterations").contains("USER")
                .contains("no password");
        assertThat(Files.exists(file)).isFalse();
    }
}
