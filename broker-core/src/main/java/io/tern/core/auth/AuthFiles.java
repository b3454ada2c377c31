package io.tern.core.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the password and ACL files share: reading them, and their comment and blank-line rules. */
public final class AuthFiles {
    private AuthFiles() {
    }

    /**
     * A line that means something, with where it is for error messages.
     *
     * @param where "FILE line N"
     */
    public record Line(String text, String where) {
    }

    /** A file's text, or an exception naming the file when it cannot be read. */
    public static String readText(Path file) throws AuthFileException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AuthFileException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The lines of {@code text}, stripped, without blank lines and '#' comments. */
    public static List<Line> meaningfulLines(String text, String source) {
        List<Line> result = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                result.add(new Line(line, source + " line " + (i + 1)));
            }
        }
        return result;
    }
}
