package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The daemon as a real process: exit codes, config errors, SIGTERM. */
class DaemonProcessTest {
    private static final Pattern BOUND = Pattern.compile("listener_started .* address=[^:]+:(\\d+)");
    private final List<Process> processes = new CopyOnWriteArrayList<>();

    @AfterEach
    void kill() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process start(String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The shipped logging config, not the test one (which hides INFO).
        String logback = Path.of("src", "main", "resources", "logback.xml").toAbsolutePath().toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Dlogback.configurationFile=" + logback,
                "-cp", System.getProperty("java.class.path"), "io.tern.app.TernMain"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(process);
        return process;
    }

    private static String output(Process process) throws IOException {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void badConfigStopsStartUpWithOneLineAndExitCode2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tern.yaml");
        Files.writeString(file, "listeners:\n  tcp: { port: nope }\n");
        Process process = start("--config", file.toString());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(output(process).strip())
                .isEqualTo("tern: config error: listeners.tcp.port: expected an integer from 0 to 65535, got \"nope\"");
    }

    @Test
    void unknownArgumentExits2AndHelpExits0() throws Exception {
        Process bad = start("--frobnicate");
        assertThat(bad.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).isEqualTo(2);
        Process help = start("--help");
        assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(help.exitValue()).isZero();
        assertThat(output(help)).contains("--config FILE");
    }

    @Test
    void sigtermDisconnectsV5ClientsWith8BAndExits0(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tern.yaml");
        Files.writeString(file, "listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\n");
        Process process = start("--config", file.toString());
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        reader.start();
        int port = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (port < 0 && System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            Matcher m = line == null ? null : BOUND.matcher(line);
            if (m != null && m.find()) {
                port = Integer.parseInt(m.group(1));
            }
        }
        assertThat(port).as("bound port from the listener_started line").isPositive();
        List<Throwable> causes = new CopyOnWriteArrayList<>();
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("to-be-told")
                .serverHost("127.0.0.1").serverPort(port).addDisconnectedListener(ctx -> causes.add(ctx.getCause()))
                .buildBlocking();
        client.connect();
        long start = System.nanoTime();
        process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its stdout
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(5);
        await().atMost(ClientSupport.WAIT).until(() -> !causes.isEmpty());
        assertThat(causes.get(0)).isInstanceOf(Mqtt5DisconnectException.class);
        assertThat(((Mqtt5DisconnectException) causes.get(0)).getMqttMessage().getReasonCode())
                .isEqualTo(Mqtt5DisconnectReasonCode.SERVER_SHUTTING_DOWN);
        reader.join(5_000);
        assertThat(lines).anyMatch(l -> l.contains("shutdown_complete"));
    }
}
