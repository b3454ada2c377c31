package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5DisconnectException;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The daemon as a real process: exit codes, config errors, SIGTERM. */
class DaemonProcessTest {
    private final List<Process> processes = new CopyOnWriteArrayList<>();

    @AfterEach
    void kill() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    private Process start(Map<String, String> environment, String... args) throws IOException {
        Process process = Daemons.start(environment, args);
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
        // The daemon warms up before its listeners open (other daemon tests turn that off).
        Process process = start(Map.of("TERN_SERVER_WARM_UP_MESSAGES", "2000", "TERN_SERVER_WARM_UP_CONNECTIONS", "200"),
                "--config", file.toString());
        java.util.concurrent.BlockingQueue<String> lines = linesOf(process);
        awaitLine(lines, "warm_up_done messages=2000 connections=200 ");
        int port = boundPort(lines);
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
        awaitLine(lines, "shutdown_complete");
    }

    @Test
    void checkConfigValidatesWithoutStarting(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "listeners:\n  tcp: { port: 1883 }\n");
        Process ok = start("check-config", good.toString());
        assertThat(ok.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.exitValue()).isZero();
        assertThat(output(ok)).contains("config ok");
        Process bad = start(Map.of("TERN_MQTT_MAX_QOS", "7"), "check-config", good.toString());
        assertThat(bad.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).isEqualTo(2);
        assertThat(output(bad)).contains("mqtt.max_qos").contains("TERN_MQTT_MAX_QOS");
    }

    @Test
    void jsonLogLinesAndEnvironmentOnlyConfiguration() throws Exception {
        // No file at all: built-in defaults, moved to free ports by the environment.
        Process process = start(Map.of("TERN_LISTENERS_TCP_HOST", "127.0.0.1", "TERN_LISTENERS_TCP_PORT", "0",
                "TERN_LISTENERS_WEBSOCKET_ENABLED", "false", "TERN_LISTENERS_HTTP_ENABLED", "false",
                "TERN_LISTENERS_COAP_ENABLED", "false", "TERN_LOGGING_LEVELS", "{ROOT: info, io.netty: warn}"),
                "--log-format", "json");
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        ObjectMapper json = new ObjectMapper();
        JsonNode started = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (started == null && System.nanoTime() < deadline) {
            String line = lines.readLine();
            if (line == null) {
                break;
            }
            JsonNode node = json.readTree(line); // every line is a JSON object
            assertThat(node.path("ts").asText()).isNotEmpty();
            if ("listener_started".equals(node.path("event").asText())) {
                started = node;
            }
        }
        assertThat(started).isNotNull();
        assertThat(started.path("level").asText()).isEqualTo("INFO");
        assertThat(started.path("transport").asText()).isEqualTo("tcp");
        assertThat(started.path("address").asText()).startsWith("127.0.0.1:");
        process.toHandle().destroy();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }

    /**
     * The warm-up's throwaway listener and clients log nothing (with the connection lines on they
     * were 20,000 lines at every start); the real clients' lines come after it.
     */
    @Test
    void theWarmUpIsSilentAndConnectionLinesFollowTheirLogger(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tern.yaml");
        Files.writeString(file, "listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\n");
        Process process = start(Map.of("TERN_SERVER_WARM_UP_MESSAGES", "500", "TERN_SERVER_WARM_UP_CONNECTIONS", "100",
                "TERN_LOGGING_LEVELS", "{ROOT: info, io.netty: warn, io.tern.connections: info}"), "--config",
                file.toString());
        java.util.concurrent.BlockingQueue<String> lines = linesOf(process);
        List<String> startUp = new java.util.ArrayList<>();
        String line;
        do {
            line = awaitLine(lines, "");
            startUp.add(line);
        } while (!line.contains("broker_started"));
        assertThat(startUp).filteredOn(l -> l.contains("warm_up_done")).hasSize(1);
        assertThat(startUp).filteredOn(l -> l.contains("listener_started")).hasSize(1); // the real one only
        assertThat(startUp).noneMatch(l -> l.contains("client_connected") || l.contains("client_disconnected"));
        int port = Daemons.boundPort(new java.util.concurrent.LinkedBlockingQueue<>(startUp));
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("seen")
                .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        client.connect();
        assertThat(awaitLine(lines, "client_connected")).contains("client_id=seen");
        client.disconnect();
        assertThat(awaitLine(lines, "client_disconnected")).contains("client_id=seen").contains("kind=normal");
        process.toHandle().destroy();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void sighupReloadsLoggingAndKeepsOldSettingsOnABadFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tern.yaml");
        Files.writeString(file, "listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\n");
        Process process = start("--config", file.toString());
        java.util.concurrent.BlockingQueue<String> lines = linesOf(process);
        awaitLine(lines, "broker_started");
        Files.writeString(file, "listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\nlogging: { levels: { io.tern: debug } }\n");
        hangUp(process);
        awaitLine(lines, "config_reloaded");
        Files.writeString(file, "logging: { levels: { io.tern: loud } }\n");
        hangUp(process);
        assertThat(awaitLine(lines, "config_reload_failed")).contains("logging.levels.io.tern");
        process.toHandle().destroy();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }

    /** Under nohup the JVM installs no HUP handler; the daemon says reloads are unavailable. */
    @Test
    @EnabledOnOs(OS.LINUX) // the check reads /proc/self/status
    void startedUnderNohupWarnsThatSighupCannotReload(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tern.yaml");
        Files.writeString(file, "listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\n");
        Process process = Daemons.start(List.of("nohup"), Map.of(), "--config", file.toString());
        processes.add(process);
        java.util.concurrent.BlockingQueue<String> lines = linesOf(process);
        assertThat(awaitLine(lines, "sighup_ignored")).contains("reload=unavailable").contains("nohup");
        awaitLine(lines, "broker_started");
        process.toHandle().destroy();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    /** The passwd command as a real process, then SIGHUP: a new user gets in without a restart. */
    @Test
    void passwdThenSighupLetsANewUserInAndABadFileKeepsTheOldOnes(@TempDir Path dir) throws Exception {
        Path passwd = dir.resolve("passwd");
        assertThat(passwd("pw-alice", passwd.toString(), "alice")).isZero();
        Path file = dir.resolve("tern.yaml");
        Files.writeString(file, "listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\nauth: { password_file: " + passwd + " }\n");
        Process process = start("--config", file.toString());
        java.util.concurrent.BlockingQueue<String> lines = linesOf(process);
        int port = boundPort(lines);
        awaitLine(lines, "broker_started");
        assertThat(login(port, "alice", "pw-alice")).isTrue();
        assertThat(login(port, "bob", "pw-bob")).isFalse();

        assertThat(passwd("pw-bob", passwd.toString(), "bob")).isZero();
        hangUp(process);
        awaitLine(lines, "auth_reloaded");
        assertThat(login(port, "bob", "pw-bob")).isTrue();

        Files.writeString(passwd, "bob:not-a-hash\n");
        hangUp(process);
        assertThat(awaitLine(lines, "auth_reload_failed")).contains("line 1");
        assertThat(login(port, "alice", "pw-alice")).isTrue();
        process.toHandle().destroy();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Runs {@code tern passwd ARGS} with the password on stdin (not a terminal). */
    private int passwd(String password, String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("passwd", "--iterations", "1000"));
        all.addAll(List.of(args));
        Process process = start(all.toArray(String[]::new));
        process.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    private static boolean login(int port, String user, String password) {
        Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("daemon-" + user)
                .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        try {
            client.connectWith().simpleAuth().username(user).password(password.getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth().send();
            client.disconnect();
            return true;
        } catch (com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException refused) {
            return false;
        }
    }

    private static int boundPort(java.util.concurrent.BlockingQueue<String> lines) throws Exception {
        return Daemons.boundPort(lines);
    }

    private static java.util.concurrent.BlockingQueue<String> linesOf(Process process) {
        return Daemons.linesOf(process);
    }

    private static void hangUp(Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    private static String awaitLine(java.util.concurrent.BlockingQueue<String> lines, String text) throws Exception {
        return Daemons.awaitLine(lines, text);
    }
}
