package io.tern.app;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import io.tern.netty.TlsContext;
import io.tern.netty.TlsSettings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS, secure WebSocket, HTTPS and mutual TLS with certificates made for each test run. */
class TlsEndToEndTest {
    private static final java.time.Duration WAIT = ClientSupport.WAIT;

    @TempDir
    Path dir;
    private TestCertificates.Identity ca;
    private TestCertificates.Identity otherCa;
    private Path cert;
    private Path key;
    private Path caFile;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeEach
    void certificates() throws Exception {
        ca = TestCertificates.authority("Tern test CA");
        otherCa = TestCertificates.authority("Someone else's CA");
        cert = dir.resolve("server.pem");
        key = dir.resolve("server.key");
        caFile = dir.resolve("ca.pem");
        TestCertificates.server(ca).writePem(cert, key);
        Files.writeString(caFile, TestCertificates.pem(ca.certificate()));
    }

    @org.junit.jupiter.api.AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestBroker broker(String tlsOptions, String extra) {
        String files = "cert: " + cert + ", key: " + key + tlsOptions;
        TestBroker broker = TestBroker.withExtra(
                "  tls: { host: 127.0.0.1, port: 0, " + files + " }\n"
                        + "  websocket_tls: { host: 127.0.0.1, port: 0, " + files + " }\n"
                        + "  https: { host: 127.0.0.1, port: 0, " + files + " }\n" + extra);
        resources.add(broker);
        return broker;
    }

    private static MqttClientSslConfig ssl(TestCertificates.Identity presented, X509Certificate trusted) throws Exception {
        var builder = MqttClientSslConfig.builder().trustManagerFactory(TestCertificates.trustManagers(trusted));
        if (presented != null) {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(presented.keyStore(), new char[0]);
            builder.keyManagerFactory(kmf);
        }
        return builder.build();
    }

    private Mqtt5BlockingClient client(String id, int port, MqttClientSslConfig ssl, boolean websocket) {
        Mqtt5ClientBuilder builder = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                .serverPort(port).sslConfig(ssl);
        if (websocket) {
            builder = builder.webSocketConfig().serverPath("mqtt").applyWebSocketConfig();
        }
        Mqtt5BlockingClient client = builder.buildBlocking();
        resources.add(() -> {
            if (client.getState().isConnected()) {
                client.disconnect();
            }
        });
        return client;
    }

    private static BigInteger servedSerial(int port, X509Certificate trusted) throws Exception {
        SSLContext context = TestCertificates.Identity.clientContext(null, trusted);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void mqttOverTlsAndSecureWebSocketReachPlainTcpSubscribers() throws Exception {
        TestBroker broker = broker("", "");
        Mqtt5BlockingClient plain = MqttClient.builder().useMqttVersion5().identifier("plain").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        plain.connect();
        resources.add(plain::disconnect);
        var publishes = plain.publishes(MqttGlobalPublishFilter.ALL);
        resources.add(publishes);
        plain.subscribeWith().topicFilter("secure/#").qos(MqttQos.AT_LEAST_ONCE).send();

        Mqtt5BlockingClient overTls = client("tls", broker.server.address("tls").getPort(), ssl(null, ca.certificate()), false);
        overTls.connect();
        overTls.publishWith().topic("secure/tls").payload("a".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();
        Mqtt5BlockingClient overWss = client("wss", broker.server.address("websocket_tls").getPort(),
                ssl(null, ca.certificate()), true);
        overWss.connect();
        overWss.publishWith().topic("secure/wss").payload("b".getBytes(StandardCharsets.UTF_8)).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThat(publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow().getTopic().toString())
                .isEqualTo("secure/tls");
        assertThat(publishes.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS).orElseThrow().getTopic().toString())
                .isEqualTo("secure/wss");
    }

    @Test
    void aClientThatDoesNotTrustTheServerCertificateCannotConnect() throws Exception {
        TestBroker broker = broker("", "");
        Mqtt5BlockingClient wrongTrust = client("wrong", broker.server.address("tls").getPort(),
                ssl(null, otherCa.certificate()), false);
        assertThatThrownBy(wrongTrust::connect).isInstanceOf(RuntimeException.class);
        // Plain MQTT on the TLS port is not understood either; the broker stays up for the next client.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", broker.server.address("tls").getPort())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(new byte[] {0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 0});
            assertThat(socket.getInputStream().read()).isNotEqualTo(0x20); // never a CONNACK in the clear
        } catch (java.net.SocketException expected) {
            // reset by the TLS handler: also fine
        }
        client("right", broker.server.address("tls").getPort(), ssl(null, ca.certificate()), false).connect();
    }

    @Test
    void httpsServesHealthAndPublish() throws Exception {
        TestBroker broker = broker("", "");
        HttpClient https = HttpClient.newBuilder()
                .sslContext(TestCertificates.Identity.clientContext(null, ca.certificate())).build();
        String base = "https://127.0.0.1:" + broker.server.address("https").getPort();
        assertThat(https.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(https.send(HttpRequest.newBuilder(URI.create(base + "/publish/over/https"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void mutualTlsRefusesMissingAndForeignCertificatesAndNamesTheUserByCn() throws Exception {
        Path acl = dir.resolve("acl");
        Files.writeString(acl, "user device-42\ntopic readwrite devices/42/#\n");
        TestBroker broker = broker(", client_ca: " + caFile + ", use_identity_as_username: true",
                "auth: { allow_anonymous: false, acl_file: " + acl + " }\n");
        int port = broker.server.address("tls").getPort();
        assertThatThrownBy(() -> client("no-cert", port, ssl(null, ca.certificate()), false).connect())
                .isInstanceOf(RuntimeException.class);
        TestCertificates.Identity foreign = TestCertificates.client(otherCa, "device-42");
        assertThatThrownBy(() -> client("foreign", port, ssl(foreign, ca.certificate()), false).connect())
                .isInstanceOf(RuntimeException.class);

        TestCertificates.Identity device = TestCertificates.client(ca, "device-42");
        Mqtt5BlockingClient authenticated = client("dev", port, ssl(device, ca.certificate()), false);
        // The certificate, not the CONNECT, names the user: a claimed username changes nothing.
        authenticated.connectWith().simpleAuth().username("admin").applySimpleAuth().send();
        authenticated.publishWith().topic("devices/42/temp").payload(new byte[] {1}).qos(MqttQos.AT_LEAST_ONCE).send();
        assertThatThrownBy(() -> authenticated.publishWith().topic("devices/43/temp").payload(new byte[] {1})
                .qos(MqttQos.AT_LEAST_ONCE).send()).isInstanceOf(Mqtt5PubAckException.class);
        // Plain TCP has no certificate: anonymous, and anonymous is off.
        assertThatThrownBy(() -> MqttClient.builder().useMqttVersion5().identifier("tcp").serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking().connect()).isInstanceOf(RuntimeException.class);
    }

    @Test
    void aRenewedCertificateIsServedAfterReloadAndABrokenOneIsNot() throws Exception {
        TestBroker broker = broker("", "");
        int port = broker.server.address("tls").getPort();
        BigInteger first = servedSerial(port, ca.certificate());
        TestCertificates.Identity renewed = TestCertificates.server(ca);
        renewed.writePem(cert, key);
        assertThat(broker.server.reload(broker.server.config())).isTrue();
        assertThat(servedSerial(port, ca.certificate())).isEqualTo(renewed.certificate().getSerialNumber())
                .isNotEqualTo(first);
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
        assertThat(broker.server.reload(broker.server.config())).isFalse();
        assertThat(servedSerial(port, ca.certificate())).isEqualTo(renewed.certificate().getSerialNumber());
    }

    @Test
    void onlyTls12And13AreOffered() throws Exception {
        TlsContext context = new TlsContext("listeners.tls", new TlsSettings(cert, key, null, true, false));
        // BoringSSL's engine lists the "SSLv2Hello" pseudo-protocol (a hello format, not a protocol it speaks).
        assertThat(context.enabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
                .containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
    }

    @Test
    void unusableFilesStopStartUpNamingTheKey() throws Exception {
        Files.writeString(key, "not a key");
        assertThatThrownBy(() -> broker("", "")).hasMessageContaining("listeners.tls");
    }
}
