package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * MQTT.js in a real headless Chromium, over WebSocket, against the real server, with a TCP client
 * on the other side. Needs node, Debian's chromium and {@code npm ci} in browser-test/ (see the
 * README); .ci/run installs them, and with CI=true a missing piece fails the test instead of
 * skipping it.
 */
class BrowserWebSocketTest extends ClientSupport {
    private static final Path SCRIPT_DIR = Path.of("..", "browser-test").toAbsolutePath().normalize();
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    @Override
    String brokerYaml() {
        return "  websocket: { host: 127.0.0.1, port: 0 }\n";
    }

    private static void requirePrerequisites() {
        String missing = null;
        if (!Files.isExecutable(CHROMIUM)) {
            missing = "chromium at " + CHROMIUM + " (apt-get install chromium)";
        } else if (!Files.isDirectory(SCRIPT_DIR.resolve("node_modules").resolve("mqtt"))) {
            missing = "npm packages (cd browser-test && npm ci)";
        } else if (!onPath("node")) {
            missing = "node (apt-get install nodejs)";
        }
        if (missing != null) {
            if (System.getenv("CI") != null) {
                fail("the browser test needs " + missing + "; .ci/run should have installed it");
            }
            Assumptions.abort("browser test not run: needs " + missing);
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void mqttJsInHeadlessChromiumTalksToTcpClients() throws Exception {
        requirePrerequisites();
        int wsPort = broker().server.websocketAddress().getPort();
        Mqtt3BlockingClient tcp = v3("tcp-side");
        tcp.connect();
        var fromBrowser = tcp.publishes(MqttGlobalPublishFilter.ALL);
        tcp.subscribeWith().topicFilter("browser/out").qos(MqttQos.AT_LEAST_ONCE).send();

        Process node = new ProcessBuilder("node", SCRIPT_DIR.resolve("ws-browser-test.mjs").toString(),
                "ws://127.0.0.1:" + wsPort + "/mqtt").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        track(node::destroyForcibly);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        reader.start();

        String ready = expectLine(lines, "READY", 40);
        assertThat(ready).contains("HeadlessChrome");
        tcp.publishWith().topic("browser/in").payload("from-tcp".getBytes(StandardCharsets.UTF_8))
                .qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(expectLine(lines, "RECEIVED", 20)).isEqualTo("RECEIVED browser/in from-tcp");
        expectLine(lines, "PUBLISHED", 20);
        var published = fromBrowser.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
        assertThat(new String(published.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("from-browser");
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).isZero();
        reader.join(5_000);
    }

    private static String expectLine(BlockingQueue<String> lines, String prefix, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(500, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            if (line.startsWith("FAILED")) {
                fail("browser side: " + line);
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        return fail("no " + prefix + " line from the browser within " + seconds + " s");
    }
}
