package io.tern.core.auth.password;

import io.tern.core.auth.AuthFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PasswordFileTest {

    @Test
    void readsMosquittoFilesWithCommentsAndBlankLines() throws AuthFileException {
        PasswordFile file = PasswordFile.parse("# users\nalice:" + PasswordHashTest.MOSQUITTO_PBKDF2 + "\n\nbob:"
                + PasswordHashTest.MOSQUITTO_SHA512 + "\n", "passwd");
        assertThat(file.users()).containsOnlyKeys("alice", "bob");
        assertThat(file.hashOf("alice").verify("secret".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(file.hashOf("carol")).isNull();
    }

    @Test
    void mistakesNameTheLineButNeverEchoTheHash() {
        assertThatThrownBy(() -> PasswordFile.parse("alice:plaintext-secret\n", "/etc/tern/passwd"))
                .isInstanceOf(AuthFileException.class)
                .hasMessageContaining("/etc/tern/passwd line 1").hasMessageContaining("alice")
                .hasMessageNotContaining("plaintext-secret");
        assertThatThrownBy(() -> PasswordFile.parse("\nno colon here\n", "p")).hasMessageContaining("p line 2");
        String line = "alice:" + PasswordHashTest.MOSQUITTO_SHA512 + "\n";
        assertThatThrownBy(() -> PasswordFile.parse(line + line, "p")).hasMessageContaining("appears twice");
    }

    @Test
    void writesAtomicallyForItsOwnerOnly(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("passwd");
        PasswordFile.empty().with("alice", PasswordHash.create("a".getBytes(StandardCharsets.UTF_8), 1_000))
                .with("bob", PasswordHash.create("b".getBytes(StandardCharsets.UTF_8), 1_000)).write(path);
        PasswordFile read = PasswordFile.read(path);
        assertThat(read.users().keySet()).containsExactly("alice", "bob");
        assertThat(read.hashOf("bob").verify("b".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
        read.without("alice").write(path);
        assertThat(PasswordFile.read(path).users()).containsOnlyKeys("bob");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("passwd"); // no temporary left
        }
    }
}
