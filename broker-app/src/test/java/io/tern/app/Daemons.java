package io.tern.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The daemon as a real child process, with its output read line by line (for process-level tests). */
final class Daemons {
    private static final Pattern BOUND = Pattern.compile("listener_started .* address=[^:]+:(\\d+)");

    private Daemons() {
    }

    /**
     * Starts {@code TernMain} with {@code args}. The environment loses every TERN_ variable of
     * ours, then gets storage in memory (tests must not share ./data) and {@code environment}.
     */
    static Process start(Map<String, String> environment, String... args) throws IOException {
        return start(List.of(), environment, args);
    }

    /** As above, with {@code launcher} (e.g. {@code nohup}) in front of the java command. */
    static Process start(List<String> launcher, Map<String, String> environment, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The shipped logging config, not the test one (which hides INFO), unless the test sets
        // levels itself (an operator's -Dlogback.configurationFile keeps its own appenders).
        List<String> command = new ArrayList<>(launcher);
        command.add(java);
        if (!environment.containsKey("TERN_LOGGING_LEVELS")) {
            String logback = Path.of("src", "main", "resources", "logback.xml").toAbsolutePath().toString();
            command.add("-Dlogback.configurationFile=" + logback);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.tern.app.TernMain"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("TERN_"));
        builder.environment().put("TERN_STORAGE_TYPE", "memory");
        // Seconds per start; WarmUpTest covers the warm-up.
        builder.environment().put("TERN_SERVER_WARM_UP_MESSAGES", "0");
        builder.environment().put("TERN_SERVER_WARM_UP_CONNECTIONS", "0");
        builder.environment().putAll(environment);
        return builder.start();
    }

    /** The process's output lines, read on a thread of their own as they come. */
    static BlockingQueue<String> linesOf(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // ended
            }
        }, "daemon-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    static String awaitLine(BlockingQueue<String> lines, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(500, TimeUnit.MILLISECONDS);
            if (line != null && line.contains(text)) {
                return line;
            }
        }
        throw new AssertionError("no log line containing " + text);
    }

    /** The port of the next listener_started line. */
    static int boundPort(BlockingQueue<String> lines) throws InterruptedException {
        Matcher bound = BOUND.matcher(awaitLine(lines, "listener_started"));
        if (!bound.find()) {
            throw new AssertionError("no port in the listener_started line");
        }
        return Integer.parseInt(bound.group(1));
    }
}
