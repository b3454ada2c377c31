package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3SubAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.tern.app.config.ConfigLoader;
import io.tern.app.config.TernConfig;
import io.tern.core.auth.password.PasswordFile;
import io.tern.core.auth.password.PasswordHash;
import org.eclipse.californium.core.CoapClient;
import org.eclipse.californium.core.CoapHandler;
import org.eclipse.californium.core.CoapObserveRelation;
import org.eclipse.californium.core.CoapResponse;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedSinglePskStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Passwords and the ACL against real clients over MQTT 3.1.1 and 5, HTTP and CoAP. */
class SecurityEndToEndTest extends ClientSupport {
    private static final String ACL = """
            user alice
            topic readwrite alice/#
            topic deny alice/secret/#
            topic write shared/inbox
            user admin
            topic readwrite #
            topic read $SYS/#
            pattern readwrite devices/%c/#
            pattern read users/%u/#
            """;

    @TempDir
    Path dir;
    private Path passwd;
    private Path acl;

    @BeforeEach
    void files() throws Exception {
        passwd = dir.resolve("passwd");
        acl = dir.resolve("acl");
        PasswordFile.empty()
                .with("alice", PasswordHash.create(bytes("wonderland"), 1_000))
                .with("admin", PasswordHash.create(bytes("root-pw"), 1_000))
                .write(passwd);
        Files.writeString(acl, ACL);
    }

    @Override
    String brokerYaml() {
        return "  http: { host: 127.0.0.1, port: 0 }\n"
                + "  coap: { host: 127.0.0.1, port: 0, dtls: { enabled: true, port: 0, psk: { alice: alice-psk } } }\n"
                + "auth: { password_file: " + passwd + ", acl_file: " + acl + " }\n";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Mqtt5BlockingClient v5As(String clientId, String user, String password) {
        Mqtt5BlockingClient client = v5(clientId);
        client.connectWith().simpleAuth().username(user).password(bytes(password)).applySimpleAuth().send();
        return client;
    }

    private Mqtt3BlockingClient v3As(String clientId, String user, String password) {
        Mqtt3BlockingClient client = v3(clientId);
        client.connectWith().simpleAuth().username(user).password(bytes(password)).applySimpleAuth().send();
        return client;
    }

    /** Receives on {@code filter}; {@link #expectOnly} then proves what arrived, ended by a marker. */
    private Mqtt5BlockingClient.Mqtt5Publishes subscribe(Mqtt5BlockingClient client, String filter) {
        Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(com.hivemq.client.mqtt.MqttGlobalPublishFilter.ALL);
        track(publishes);
        client.subscribeWith().topicFilter(filter).qos(MqttQos.AT_LEAST_ONCE).send();
        return publishes;
    }

    /** Publishes a marker as admin and asserts exactly {@code topics} arrived before it, in order. */
    private void expectOnly(Mqtt5BlockingClient.Mqtt5Publishes publishes, String markerTopic, String... topics)
            throws Exception {
        Mqtt5BlockingClient admin = v5As("admin-marker-" + System.nanoTime(), "admin", "root-pw");
        admin.publishWith().topic(markerTopic).payload(bytes("marker")).qos(MqttQos.AT_LEAST_ONCE).send();
        java.util.List<String> seen = new java.util.ArrayList<>();
        while (true) {
            Mqtt5Publish next = publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow(
                    () -> new AssertionError("marker not received; saw " + seen));
            if (next.getTopic().toString().equals(markerTopic)) {
                break;
            }
            seen.add(next.getTopic().toString());
        }
        assertThat(seen).containsExactly(topics);
    }

    @Test
    void rightPasswordInWrongPasswordOutWithTheSpecCodes() {
        v5As("a1", "alice", "wonderland");
        assertThatThrownBy(() -> v5("a2").connectWith().simpleAuth().username("alice").password(bytes("wrong"))
                .applySimpleAuth().send()).isInstanceOfSatisfying(Mqtt5ConnAckException.class, e ->
                assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
        assertThatThrownBy(() -> v5("a3").connectWith().simpleAuth().username("nobody").password(bytes("wonderland"))
                .applySimpleAuth().send()).isInstanceOf(Mqtt5ConnAckException.class);
        assertThatThrownBy(() -> v3("a4").connectWith().simpleAuth().username("alice").password(bytes("wrong"))
                .applySimpleAuth().send()).isInstanceOfSatisfying(Mqtt3ConnAckException.class, e ->
                assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED));
        v3As("a5", "alice", "wonderland");
        assertThat(broker().counter("tern.auth.failures")).isEqualTo(3);
    }

    @Test
    void anonymousClientsAreRefusedWhenAPasswordFileIsSet() {
        assertThatThrownBy(() -> v5("anon").connect()).isInstanceOfSatisfying(Mqtt5ConnAckException.class, e ->
                assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
        assertThatThrownBy(() -> v3("anon3").connect()).isInstanceOfSatisfying(Mqtt3ConnAckException.class, e ->
                assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED));
    }

    @Test
    void publishOutsideTheAclIsRefusedV5AndSilentlyDroppedV3() throws Exception {
        Mqtt5BlockingClient watcher = v5As("watcher", "admin", "root-pw");
        var publishes = subscribe(watcher, "#");
        Mqtt5BlockingClient alice = v5As("alice-5", "alice", "wonderland");
        assertThatThrownBy(() -> alice.publishWith().topic("bob/x").payload(bytes("no")).qos(MqttQos.AT_LEAST_ONCE)
                .send()).isInstanceOfSatisfying(Mqtt5PubAckException.class, e ->
                assertThat(e.getMqttMessage().getReasonCode().getCode()).isEqualTo(0x87));
        alice.publishWith().topic("alice/ok").payload(bytes("yes")).qos(MqttQos.AT_LEAST_ONCE).send();
        alice.publishWith().topic("alice/secret/key").payload(bytes("no")).qos(MqttQos.AT_MOST_ONCE).send();
        // [MQTT-3.3.5-2] v3 has no way to say no: positive PUBACK, message dropped.
        Mqtt3BlockingClient alice3 = v3As("alice-3", "alice", "wonderland");
        alice3.publishWith().topic("bob/y").payload(bytes("no")).qos(MqttQos.AT_LEAST_ONCE).send();
        alice3.publishWith().topic("alice/ok3").payload(bytes("yes")).qos(MqttQos.AT_LEAST_ONCE).send();
        expectOnly(publishes, "marker/1", "alice/ok", "alice/ok3");
    }

    @Test
    void subscribeOutsideTheAclGets0x87AndV3Gets0x80() {
        Mqtt5BlockingClient alice = v5As("alice-sub", "alice", "wonderland");
        assertThatThrownBy(() -> alice.subscribeWith().topicFilter("#").send())
                .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
                        .containsExactly(Mqtt5SubAckReasonCode.NOT_AUTHORIZED));
        assertThatThrownBy(() -> alice.subscribeWith().topicFilter("alice/secret/#").send())
                .isInstanceOf(Mqtt5SubAckException.class);
        assertThatThrownBy(() -> alice.subscribeWith().topicFilter("$share/g/bob/#").send())
                .isInstanceOf(Mqtt5SubAckException.class);
        alice.subscribeWith().topicFilter("$share/g/alice/#").send();
        Mqtt3BlockingClient alice3 = v3As("alice-sub3", "alice", "wonderland");
        assertThatThrownBy(() -> alice3.subscribeWith().topicFilter("shared/inbox").send()) // write-only
                .isInstanceOf(Mqtt3SubAckException.class);
    }

    @Test
    void deliveriesAndRetainedMessagesInsideAWideSubscriptionFollowDenyRules() throws Exception {
        Mqtt5BlockingClient admin = v5As("admin-1", "admin", "root-pw");
        admin.publishWith().topic("alice/secret/pin").payload(bytes("1234")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        admin.publishWith().topic("alice/profile").payload(bytes("hi")).retain(true).qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient alice = v5As("alice-wide", "alice", "wonderland");
        var publishes = subscribe(alice, "alice/#");
        admin.publishWith().topic("alice/secret/live").payload(bytes("x")).qos(MqttQos.AT_LEAST_ONCE).send();
        admin.publishWith().topic("alice/news").payload(bytes("x")).qos(MqttQos.AT_LEAST_ONCE).send();
        expectOnly(publishes, "alice/marker", "alice/profile", "alice/news");
        assertThat(broker().counter("tern.messages.dropped", "reason", "not_authorized")).isEqualTo(2);
    }

    @Test
    void theBrokersOwnSysTopicsNeedNoAclRuleToPublishOnlyToRead() throws Exception {
        Mqtt5BlockingClient admin = v5As("admin-sys", "admin", "root-pw");
        var publishes = subscribe(admin, "$SYS/broker/version");
        assertThat(publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isPresent();
        Mqtt5BlockingClient alice = v5As("alice-sys", "alice", "wonderland");
        assertThatThrownBy(() -> alice.subscribeWith().topicFilter("$SYS/#").send()).isInstanceOf(Mqtt5SubAckException.class);
    }

    @Test
    void aWillTheClientMayNotPublishIsRefusedAtConnect() {
        assertThatThrownBy(() -> v5("alice-will").connectWith().simpleAuth().username("alice")
                .password(bytes("wonderland")).applySimpleAuth()
                .willPublish().topic("bob/last-words").payload(bytes("bye")).applyWillPublish().send())
                .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e ->
                        assertThat(e.getMqttMessage().getReasonCode()).isEqualTo(Mqtt5ConnAckReasonCode.NOT_AUTHORIZED));
        v5("alice-will-ok").connectWith().simpleAuth().username("alice").password(bytes("wonderland")).applySimpleAuth()
                .willPublish().topic("alice/last-words").payload(bytes("bye")).applyWillPublish().send();
    }

    @Test
    void patternsGrantPerClientIdAndPerUsername() throws Exception {
        Mqtt5BlockingClient watcher = v5As("watcher-p", "admin", "root-pw");
        var publishes = subscribe(watcher, "#");
        Mqtt5BlockingClient device = v5As("thermo-7", "alice", "wonderland");
        device.publishWith().topic("devices/thermo-7/temp").payload(bytes("21")).send();
        device.publishWith().topic("devices/thermo-8/temp").payload(bytes("21")).send();
        device.subscribeWith().topicFilter("users/alice/#").send();
        assertThatThrownBy(() -> device.subscribeWith().topicFilter("users/admin/#").send())
                .isInstanceOf(Mqtt5SubAckException.class);
        expectOnly(publishes, "marker/p", "devices/thermo-7/temp");
    }

    @Test
    void reloadAppliesToConnectedClientsAndABadFileKeepsTheOldRules() throws Exception {
        Mqtt5BlockingClient alice = v5As("alice-r", "alice", "wonderland");
        var publishes = subscribe(alice, "alice/#");
        Files.writeString(acl, ACL.replace("topic deny alice/secret/#", "topic deny alice/news"));
        PasswordFile.read(passwd).with("carol", PasswordHash.create(bytes("c-pw"), 1_000)).write(passwd);
        assertThat(broker().server.reload(reloadedConfig())).isTrue();
        Mqtt5BlockingClient admin = v5As("admin-r", "admin", "root-pw");
        admin.publishWith().topic("alice/news").payload(bytes("x")).qos(MqttQos.AT_LEAST_ONCE).send();
        admin.publishWith().topic("alice/secret/now-readable").payload(bytes("x")).qos(MqttQos.AT_LEAST_ONCE).send();
        expectOnly(publishes, "alice/m1", "alice/secret/now-readable");
        v5As("carol-1", "carol", "c-pw");

        Files.writeString(acl, "user alice\ntopic read alice/#/oops\n");
        assertThat(broker().server.reload(reloadedConfig())).isFalse();
        admin.publishWith().topic("alice/news").payload(bytes("x")).qos(MqttQos.AT_LEAST_ONCE).send();
        admin.publishWith().topic("alice/still").payload(bytes("x")).qos(MqttQos.AT_LEAST_ONCE).send();
        expectOnly(publishes, "alice/m2", "alice/still");
    }

    private TernConfig reloadedConfig() throws Exception {
        return new ConfigLoader().parse("listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\n" + brokerYaml(), "reload");
    }

    // ------------------------------------------------------------------ HTTP bridge

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> httpPublish(String topic, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + broker().server.httpAddress().getPort() + "/publish/" + topic + "?qos=1"))
                .POST(HttpRequest.BodyPublishers.ofString("v"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString(bytes(user + ":" + password));
    }

    @Test
    void httpPublishTakesTheSameCredentialsAndAcl() throws Exception {
        Mqtt5BlockingClient watcher = v5As("watcher-h", "admin", "root-pw");
        var publishes = subscribe(watcher, "#");
        assertThat(httpPublish("alice/h1", basic("alice", "wonderland")).statusCode()).isEqualTo(200);
        assertThat(httpPublish("alice/h1", basic("alice", "wonderland")).statusCode()).isEqualTo(200); // cached
        HttpResponse<String> wrong = httpPublish("alice/h2", basic("alice", "nope"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        assertThat(httpPublish("alice/h3", null).statusCode()).isEqualTo(401);
        assertThat(httpPublish("alice/h4", "Basic !!!").statusCode()).isEqualTo(401);
        HttpResponse<String> denied = httpPublish("bob/h5", basic("alice", "wonderland"));
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).contains("not_authorized");
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + broker().server.httpAddress().getPort() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        expectOnly(publishes, "marker/h", "alice/h1", "alice/h1");
    }

    @Test
    void pipelinedRequestsWaitingForAPasswordCheckAreAnsweredInOrder() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", broker().server.httpAddress().getPort())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            String auth = basic("alice", "wonderland");
            String requests = ("POST /publish/alice/p1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth
                    + "\r\nContent-Length: 1\r\n\r\na")
                    + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                    + ("POST /publish/bob/p2 HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth
                    + "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nb");
            socket.getOutputStream().write(requests.getBytes(StandardCharsets.US_ASCII));
            String responses = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(java.util.regex.Pattern.compile("HTTP/1\\.1 (\\d{3})").matcher(responses).results()
                    .map(m -> m.group(1))).containsExactly("200", "200", "403");
        }
    }

    // ------------------------------------------------------------------ CoAP bridge

    static {
        org.eclipse.californium.core.config.CoapConfig.register();
        org.eclipse.californium.elements.config.UdpConfig.register();
        org.eclipse.californium.scandium.config.DtlsConfig.register();
    }

    private CoapClient coapClient(String scheme, int port, String path, CoapEndpoint endpoint) {
        CoapClient client = new CoapClient(scheme + "://127.0.0.1:" + port + path);
        client.setEndpoint(endpoint);
        client.setTimeout(WAIT.toMillis());
        return client;
    }

    @Test
    void coapIsAnonymousUnlessDtlsNamesTheUserAndTheAclApplies() throws Exception {
        Configuration plainConfig = Configuration.createStandardWithoutFile();
        CoapEndpoint plain = CoapEndpoint.builder().setConfiguration(plainConfig).build();
        Configuration dtls = Configuration.createStandardWithoutFile();
        dtls.set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.CLIENT_ONLY);
        CoapEndpoint secure = CoapEndpoint.builder().setConfiguration(dtls).setConnector(new DTLSConnector(
                DtlsConnectorConfig.builder(dtls).setAdvancedPskStore(new AdvancedSinglePskStore("alice",
                        bytes("alice-psk"))).build())).build();
        try {
            Mqtt5BlockingClient watcher = v5As("watcher-c", "admin", "root-pw");
            var publishes = subscribe(watcher, "#");
            int coapPort = broker().server.coapAddress().getPort();
            int dtlsPort = broker().server.coapBridge().dtlsAddress().getPort();
            assertThat(coapClient("coap", coapPort, "/mqtt/publish/alice/c0", plain).post("x", MediaTypeRegistry.TEXT_PLAIN)
                    .getCode()).isEqualTo(ResponseCode.UNAUTHORIZED);
            assertThat(coapClient("coap", coapPort, "/health", plain).get().getCode()).isEqualTo(ResponseCode.CONTENT);
            assertThat(coapClient("coaps", dtlsPort, "/mqtt/publish/alice/c1", secure).post("x", MediaTypeRegistry.TEXT_PLAIN)
                    .getCode()).isEqualTo(ResponseCode.CHANGED);
            assertThat(coapClient("coaps", dtlsPort, "/mqtt/publish/bob/c2", secure).post("x", MediaTypeRegistry.TEXT_PLAIN)
                    .getCode()).isEqualTo(ResponseCode.FORBIDDEN);
            assertThat(coapClient("coaps", dtlsPort, "/mqtt/subscribe/alice/secret/pin", secure).get().getCode())
                    .isEqualTo(ResponseCode.FORBIDDEN);
            CoapClient observeBob = coapClient("coaps", dtlsPort, "/mqtt/subscribe/bob/%23", secure);
            java.util.concurrent.BlockingQueue<CoapResponse> answers = new java.util.concurrent.LinkedBlockingQueue<>();
            CoapObserveRelation relation = observeBob.observe(new CoapHandler() {
                @Override
                public void onLoad(CoapResponse response) {
                    answers.add(response);
                }

                @Override
                public void onError() {
                }
            });
            try {
                assertThat(answers.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS).getCode()).isEqualTo(ResponseCode.FORBIDDEN);
            } finally {
                relation.proactiveCancel();
            }
            expectOnly(publishes, "marker/c", "alice/c1");
        } finally {
            plain.destroy();
            secure.destroy();
        }
    }
}
