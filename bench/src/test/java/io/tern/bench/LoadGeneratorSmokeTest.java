package io.tern.bench;

import io.tern.app.TernServer;
import io.tern.app.config.ConfigLoader;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A one-second run of each flow scenario: the generator works and its books balance. No timing asserted. */
class LoadGeneratorSmokeTest {
    private TernServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TernServer(new ConfigLoader().parse(
                "listeners: { tcp: { host: 127.0.0.1, port: 0 } }\nserver: { sys_interval_seconds: 0 }\nstorage: { type: memory }\n", "bench"));
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Map<String, String> run(String... pairs) throws Exception {
        Map<String, String> options = new HashMap<>();
        options.put("port", Integer.toString(server.tcpAddress().getPort()));
        options.put("duration", "1");
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            options.put(pairs[i], pairs[i + 1]);
        }
        String line = LoadGenerator.run(options);
        Map<String, String> fields = new HashMap<>();
        Matcher m = Pattern.compile("(\\w+)=(\\S+)").matcher(line);
        while (m.find()) {
            fields.put(m.group(1), m.group(2));
        }
        return fields;
    }

    @Test
    void qos1PairsLoseNothingAtAModestRate() throws Exception {
        // A fixed rate well under what one core can carry: every message must arrive once, in order.
        Map<String, String> result = run("scenario", "latency", "qos", "1", "rate", "500", "publishers", "2");
        assertThat(Long.parseLong(result.get("sent"))).isPositive();
        assertThat(result.get("lost")).isEqualTo("0");
        assertThat(result.get("dup")).isEqualTo("0");
        assertThat(result.get("ooo")).isEqualTo("0");
        assertThat(result.get("received")).isEqualTo(result.get("expected"));
    }

    @Test
    void mqtt5ClientsLoseNothingAtQos1And2() throws Exception {
        // Netty's codec follows the CONNECT's version: a v5 PUBLISH read as 3.1.1 would shift the
        // payload by its property length, and the receipts would count it lost.
        for (String qos : new String[]{"1", "2"}) {
            Map<String, String> result = run("scenario", "latency", "qos", qos, "rate", "500", "publishers", "2",
                    "mqtt", "5");
            assertThat(result.get("mqtt")).isEqualTo("5");
            assertThat(Long.parseLong(result.get("sent"))).as("qos " + qos).isPositive();
            assertThat(result.get("lost")).as("qos " + qos).isEqualTo("0");
            assertThat(result.get("dup")).as("qos " + qos).isEqualTo("0");
            assertThat(result.get("received")).as("qos " + qos).isEqualTo(result.get("expected"));
        }
    }

    @Test
    void mqtt5ConnectionsOpenAndHold() throws Exception {
        Map<String, String> result = run("scenario", "connections", "connections", "50", "hold", "0", "mqtt", "5");
        assertThat(result.get("mqtt")).isEqualTo("5");
        assertThat(result.get("failed")).isEqualTo("0");
        assertThat(result.get("still_open")).isEqualTo("50");
    }

    @Test
    void anUnknownMqttVersionIsRefusedByName() {
        assertThatThrownBy(() -> run("scenario", "latency", "mqtt", "4"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--mqtt").hasMessageContaining("4");
    }

    @Test
    void everyFlowScenarioRunsAndCounts() throws Exception {
        for (String scenario : new String[]{"fanin", "fanout", "pairs"}) {
            Map<String, String> result = run("scenario", scenario, "qos", "0", "publishers", "2",
                    "subscribers", "2", "pairs", "2");
            assertThat(Long.parseLong(result.get("received"))).as(scenario).isPositive();
            assertThat(Long.parseLong(result.get("expected"))).as(scenario)
                    .isGreaterThanOrEqualTo(Long.parseLong(result.get("received")) - Long.parseLong(result.get("dup")));
        }
    }

    @Test
    void connectionsScenarioOpensAndHolds() throws Exception {
        Map<String, String> result = run("scenario", "connections", "connections", "50", "hold", "0");
        assertThat(result.get("still_open")).isEqualTo("50");
        assertThat(result.get("in_flight")).isEqualTo("1");
        assertThat(result.get("failed")).isEqualTo("0");
    }

    @Test
    void connectionsCanBeUnderWayManyAtOnce() throws Exception {
        Map<String, String> result = run("scenario", "connections", "connections", "200", "hold", "0",
                "in-flight", "32");
        assertThat(result.get("in_flight")).isEqualTo("32");
        assertThat(result.get("failed")).isEqualTo("0");
        assertThat(result.get("still_open")).isEqualTo("200");
    }

    @Test
    void theGeneratorWarmsUpOnAnotherBrokerFirst() throws Exception {
        TernServer scratch = new TernServer(new ConfigLoader().parse(
                "listeners: { tcp: { host: 127.0.0.1, port: 0 } }\nserver: { sys_interval_seconds: 0 }\nstorage: { type: memory }\n", "scratch"));
        scratch.start();
        try {
            Map<String, String> result = run("scenario", "latency", "qos", "1", "rate", "500",
                    "warm-up-port", Integer.toString(scratch.tcpAddress().getPort()), "warm-up-seconds", "1");
            // The warm-up's messages went to the scratch broker and are not in the summary.
            assertThat(received(scratch)).isPositive();
            assertThat(received(server)).isEqualTo(Double.parseDouble(result.get("received")));
            assertThat(result.get("lost")).isEqualTo("0");
        } finally {
            scratch.close();
        }
    }

    private static double received(TernServer broker) {
        return broker.meterRegistry().find("tern.messages.received").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void theLatencyLogHasOneLinePerMessage(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("latency.txt");
        Map<String, String> result = run("scenario", "latency", "qos", "1", "rate", "200",
                "latency-log", log.toString());
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.get(0)).startsWith("#");
        assertThat(lines).hasSize(Integer.parseInt(result.get("received")) + 1);
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.split(" ");
            assertThat(Long.parseLong(fields[0])).isBetween(0L, 2_000_000L); // sent in the 1 s run (µs)
            assertThat(Long.parseLong(fields[1])).isNotNegative();
        }
    }
}
