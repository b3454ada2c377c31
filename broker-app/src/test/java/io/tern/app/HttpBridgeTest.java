package io.tern.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient.Mqtt5Publishes;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP bridge end to end: java.net.http client in, real MQTT subscribers out. */
class HttpBridgeTest extends ClientSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Override
    String brokerYaml() {
        return "  http: { host: 127.0.0.1, port: 0, max_body_bytes: 2048 }\n";
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + broker().server.httpAddress().getPort() + path);
    }

    private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postJson(String body) throws Exception {
        return post("/publish", "application/json", body);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private Mqtt5Publishes subscriber(String id, String filter) {
        Mqtt5BlockingClient client = v5(id);
        client.connect();
        Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL);
        client.subscribeWith().topicFilter(filter).qos(MqttQos.EXACTLY_ONCE).retainAsPublished(true).send();
        return publishes;
    }

    private static Mqtt5Publish next(Mqtt5Publishes publishes) throws InterruptedException {
        Optional<Mqtt5Publish> publish = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(publish).isPresent();
        return publish.get();
    }

    @Test
    void jsonPublishReachesMqttSubscribersWithEverythingIntact() throws Exception {
        Mqtt5Publishes publishes = subscriber("http-sub", "sensor/#");
        HttpResponse<String> response = postJson("""
                {"topic": "sensor/temp", "payload": "21.5", "qos": 1, "retain": true,
                 "user_properties": {"unit": "C", "room": "1"}, "content_type": "text/plain",
                 "response_topic": "reply/here", "correlation_data": "req-42", "message_expiry_interval": 60}
                """);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"status\":\"ok\"}"));
        Mqtt5Publish got = next(publishes);
        assertThat(got.getTopic().toString()).isEqualTo("sensor/temp");
        assertThat(new String(got.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("21.5");
        assertThat(got.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
        assertThat(got.isRetain()).isTrue();
        assertThat(got.getUserProperties().asList()).extracting(p -> p.getName() + "=" + p.getValue())
                .containsExactly("unit=C", "room=1");
        assertThat(got.getContentType().orElseThrow().toString()).isEqualTo("text/plain");
        assertThat(got.getResponseTopic().orElseThrow().toString()).isEqualTo("reply/here");
        assertThat(StandardCharsets.UTF_8.decode(got.getCorrelationData().orElseThrow()).toString()).isEqualTo("req-42");
        assertThat(got.getMessageExpiryInterval().getAsLong()).isBetween(58L, 60L);
    }

    @Test
    void base64PayloadsCarryBinaryData() throws Exception {
        Mqtt5Publishes publishes = subscriber("http-bin", "bin/t");
        byte[] binary = {0, (byte) 0xFF, 0x10, (byte) 0x80};
        assertThat(postJson("{\"topic\":\"bin/t\",\"payload\":\"" + Base64.getEncoder().encodeToString(binary)
                + "\",\"payload_encoding\":\"base64\",\"qos\":2}").statusCode()).isEqualTo(200);
        Mqtt5Publish got = next(publishes);
        assertThat(got.getPayloadAsBytes()).containsExactly(binary);
        assertThat(got.getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
    }

    @Test
    void aRetainedPostIsSeenByALaterSubscriberOnMqtt3() throws Exception {
        assertThat(post("/publish/status/door?retain=true&qos=1", "text/plain", "open").statusCode()).isEqualTo(200);
        var v3 = v3("late-v3");
        v3.connect();
        var publishes = v3.publishes(MqttGlobalPublishFilter.ALL);
        v3.subscribeWith().topicFilter("status/+").qos(MqttQos.AT_LEAST_ONCE).send();
        var got = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow();
        assertThat(new String(got.getPayloadAsBytes(), StandardCharsets.UTF_8)).isEqualTo("open");
        assertThat(got.isRetain()).isTrue();
        assertThat(got.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    }

    @Test
    void rawPublishTakesTheTopicFromThePath() throws Exception {
        Mqtt5Publishes publishes = subscriber("http-raw", "sensors/#");
        assertThat(post("/publish/sensors/room%201/temp", "application/octet-stream", "22").statusCode()).isEqualTo(200);
        Mqtt5Publish got = next(publishes);
        assertThat(got.getTopic().toString()).isEqualTo("sensors/room 1/temp");
        assertThat(got.getQos()).isEqualTo(MqttQos.AT_MOST_ONCE);
        assertThat(got.isRetain()).isFalse();
    }

    @ParameterizedTest(name = "{0} {1} -> {4} {5}")
    @CsvSource(delimiter = '|', value = {
            "POST|/publish|application/json|{not json|400|body",
            "POST|/publish|application/json|[1,2]|400|body",
            "POST|/publish|application/json|{\"payload\":\"x\"}|400|topic",
            "POST|/publish|application/json|{\"topic\":\"a/+\"}|400|topic",
            "POST|/publish|application/json|{\"topic\":\"a/#\"}|400|topic",
            "POST|/publish|application/json|{\"topic\":\"\"}|400|topic",
            "POST|/publish|application/json|{\"topic\":\"a/\\ud800\"}|400|topic",
            "POST|/publish|application/json|{\"topic\":\"a\",\"response_topic\":\"r/\\udc00\"}|400|response_topic",
            "POST|/publish|application/json|{\"topic\":7}|400|topic",
            "POST|/publish|application/json|{\"topic\":\"a\",\"qos\":3}|400|qos",
            "POST|/publish|application/json|{\"topic\":\"a\",\"qos\":\"1\"}|400|qos",
            "POST|/publish|application/json|{\"topic\":\"a\",\"retain\":\"yes\"}|400|retain",
            "POST|/publish|application/json|{\"topic\":\"a\",\"payload\":\"%%%\",\"payload_encoding\":\"base64\"}|400|payload",
            "POST|/publish|application/json|{\"topic\":\"a\",\"payload_encoding\":\"hex\"}|400|payload_encoding",
            "POST|/publish|application/json|{\"topic\":\"a\",\"colour\":\"red\"}|400|colour",
            "POST|/publish|application/json|{\"topic\":\"a\",\"message_expiry_interval\":-1}|400|message_expiry_interval",
            "POST|/publish|application/json|{\"topic\":\"a\",\"response_topic\":\"r/#\"}|400|response_topic",
            "POST|/publish|application/json|{\"topic\":\"a\",\"user_properties\":{\"k\":1}}|400|user_properties",
            "POST|/publish|text/plain|{\"topic\":\"a\"}|415|Content-Type",
            "POST|/publish/a/%C3%28|text/plain|x|400|topic",
            "POST|/publish/a/+|text/plain|x|400|topic",
            "POST|/publish/a?qos=5|text/plain|x|400|qos",
            "POST|/publish/a?retain=1|text/plain|x|400|retain",
            "POST|/publish/a?colour=red|text/plain|x|400|colour",
            "GET|/publish||x|405|",
            "POST|/health|text/plain|x|405|",
            "POST|/metrics|text/plain|x|405|",
            "GET|/nowhere||x|404|",
    })
    void badRequestsGetAClearJsonError(String method, String path, String contentType, String body, int status,
                                       String field) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
        if (method.equals("GET")) {
            request.GET();
        } else {
            request.POST(HttpRequest.BodyPublishers.ofString(body));
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode error = JSON.readTree(response.body());
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
        if (field != null) {
            assertThat(error.path("field").asText()).isEqualTo(field);
        }
        if (status == 405) {
            assertThat(response.headers().firstValue("Allow")).isPresent();
        }
    }

    @Test
    void tooLongTopicAndTooLargeBody() throws Exception {
        String longTopic = "t".repeat(70_000);
        for (int i = 0; i < 5; i++) { // the client must read the 413, not a reset
            HttpResponse<String> tooLarge = postJson("{\"topic\":\"" + longTopic + "\"}");
            assertThat(tooLarge.statusCode()).isEqualTo(413); // 2 KiB limit in this test
            assertThat(JSON.readTree(tooLarge.body()).path("field").asText()).isEqualTo("body");
        }
        assertThat(get("/health").statusCode()).isEqualTo(200); // still serving
    }

    @Test
    void healthNamesEveryListener() throws Exception {
        HttpResponse<String> response = get("/health");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode health = JSON.readTree(response.body());
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("listeners").path("tcp").path("state").asText()).isEqualTo("up");
        assertThat(health.path("listeners").path("http").path("address").asText()).startsWith("127.0.0.1:");
        assertThat(health.path("listeners").path("coap").path("state").asText()).isEqualTo("off");
    }

    private static Map<String, Double> scrape(String text) {
        Map<String, Double> samples = new HashMap<>();
        Pattern line = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})?) (\\S+)$");
        for (String l : text.split("\n")) {
            if (l.startsWith("#") || l.isBlank()) {
                continue;
            }
            Matcher m = line.matcher(l);
            assertThat(m.matches()).as("Prometheus sample line: %s", l).isTrue();
            samples.put(m.group(1), Double.parseDouble(m.group(3)));
        }
        return samples;
    }

    @Test
    void metricsArePrometheusTextAndMoveWithTraffic() throws Exception {
        HttpResponse<String> before = get("/metrics");
        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(before.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        Map<String, Double> first = scrape(before.body());
        assertThat(first).containsKeys("tern_connections_current", "tern_sessions", "tern_subscriptions",
                "tern_retained_messages", "tern_messages_queued", "tern_messages_inflight",
                "tern_netty_direct_memory_used_bytes");
        assertThat(first.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes"));
        // Each listener's message series are there at zero before its first message.
        assertThat(first).containsEntry("tern_messages_received_total{protocol=\"mqtt\"}", 0.0)
                .containsEntry("tern_messages_received_total{protocol=\"will\"}", 0.0)
                .containsEntry("tern_messages_received_total{protocol=\"http\"}", 0.0)
                .containsEntry("tern_messages_received_payload_bytes_total{protocol=\"http\"}", 0.0)
                .containsEntry("tern_messages_sent_total{transport=\"tcp\"}", 0.0)
                .containsEntry("tern_messages_sent_payload_bytes_total{transport=\"tcp\"}", 0.0);

        Mqtt5Publishes publishes = subscriber("metrics-sub", "m/#");
        postJson("{\"topic\":\"m/1\",\"payload\":\"12345\",\"retain\":true}");
        next(publishes);
        Map<String, Double> after = scrape(get("/metrics").body());
        assertThat(after.get("tern_messages_received_total{protocol=\"http\"}")).isEqualTo(1.0);
        assertThat(after.get("tern_messages_received_payload_bytes_total{protocol=\"http\"}")).isEqualTo(5.0);
        assertThat(after.get("tern_messages_sent_total{transport=\"tcp\"}")).isEqualTo(1.0);
        assertThat(after.get("tern_connections_current")).isEqualTo(1.0);
        assertThat(after.get("tern_subscriptions")).isEqualTo(1.0);
        // $SYS topics are retained too: count ours as the difference.
        assertThat(after.get("tern_retained_messages") - first.get("tern_retained_messages")).isEqualTo(1.0);
    }

    @Test
    void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
        int port = broker().server.httpAddress().getPort();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            String body = "{\"topic\":\"p/1\"}";
            String requests = "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body
                    + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout((int) WAIT.toMillis());
            InputStream in = socket.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int notFound = all.indexOf("HTTP/1.1 404");
            int ok = all.indexOf("HTTP/1.1 200", notFound);
            int health = all.indexOf("\"status\":\"UP\"", ok);
            assertThat(notFound).isNotNegative();
            assertThat(ok).isGreaterThan(notFound);
            assertThat(health).isGreaterThan(ok);
        }
    }

    /**
     * A client pipelining requests and reading none of the responses: the bridge stops reading from
     * it once the responses it holds pass the write buffer's mark, instead of keeping them all in
     * memory (3.2 million in 10 s filled a 2 GB heap), and answers every request once it reads.
     */
    @Test
    void aPipeliningClientThatDoesNotReadIsNotReadFromUntilItDoes() throws Exception {
        String body = get("/health").body();
        byte[] request = "GET /health HTTP/1.1\r\nHost: tern\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] response = ("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
        try (DeafClient client = new DeafClient(broker().server.httpAddress().getPort())) {
            assertThat(client.exchange(request, response.length)).isEqualTo(response);
            client.sendUntil(request, () -> broker().counter("tern.limits.hits", "limit", "unread_replies") > 0);
            assertThat(client.sentBytes()).isLessThan(32L << 20);
            // Its unread answers are its own problem: everyone else is still served.
            assertThat(get("/health").statusCode()).isEqualTo(200);
            client.readAllAnswers(response);
        }
    }
}
