package io.tern.app;

import io.tern.app.config.ConfigException;
import io.tern.app.config.ConfigLoader;
import io.tern.app.config.TernConfig;
import io.tern.core.BrokerSettings;
import io.tern.core.session.QueueOverflowPolicy;
import io.tern.mqtt.MqttTailSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    private static final Path SHIPPED = Path.of("..", "config", "tern.yaml");

    @Test
    void builtInDefaultsListenForMqttAndHttpOnAllInterfaces() {
        TernConfig config = ConfigLoader.defaults();
        assertThat(config.tcp().enabled()).isTrue();
        assertThat(config.tcp().host()).isEqualTo("0.0.0.0");
        assertThat(config.tcp().port()).isEqualTo(1883);
        assertThat(config.http().listener().enabled()).isTrue();
        assertThat(config.http().listener().port()).isEqualTo(8080);
        assertThat(config.websocket().listener().enabled()).isTrue();
        assertThat(config.websocket().listener().path()).isEqualTo("/mqtt");
        assertThat(config.coap().listener().enabled()).isTrue();
        assertThat(config.coap().listener().port()).isEqualTo(5683);
        assertThat(config.coap().dtlsEnabled()).isFalse();
        assertThat(config.broker()).isEqualTo(BrokerSettings.defaults());
        assertThat(config.mqtt()).isEqualTo(MqttTailSettings.defaults());
    }

    @Test
    void absentListenersAreOffAndPresentOnesOn() throws ConfigException {
        TernConfig config = new ConfigLoader().parse("listeners:\n  tcp: { port: 1884 }\n", "t");
        assertThat(config.tcp().enabled()).isTrue();
        assertThat(config.tcp().port()).isEqualTo(1884);
        assertThat(config.http().listener().enabled()).isFalse();
        TernConfig off = new ConfigLoader().parse("listeners:\n  tcp: { enabled: false }\n", "t");
        assertThat(off.tcp().enabled()).isFalse();
    }

    @Test
    void shippedFileHoldsTheBuiltInDefaults() throws ConfigException {
        TernConfig shipped = new ConfigLoader().load(SHIPPED);
        TernConfig defaults = ConfigLoader.defaults();
        assertThat(shipped.tcp()).isEqualTo(defaults.tcp());
        assertThat(shipped.http()).isEqualTo(defaults.http());
        assertThat(shipped.websocket()).isEqualTo(defaults.websocket());
        assertThat(shipped.coap()).isEqualTo(defaults.coap());
        assertThat(shipped.mqtt()).isEqualTo(defaults.mqtt());
        assertThat(shipped.broker()).isEqualTo(defaults.broker());
        assertThat(shipped.ioThreads()).isEqualTo(defaults.ioThreads());
    }

    /** Every key the loader knows appears in config/tern.yaml and in docs/configuration.md. */
    @Test
    void everyKeyIsDocumented() throws Exception {
        ConfigLoader loader = new ConfigLoader();
        loader.load(SHIPPED);
        Set<String> known = loader.knownKeys();
        Set<String> inFile = yamlKeyPaths(Files.readString(SHIPPED));
        assertThat(inFile).containsAll(known);
        String reference = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (String key : known) {
            assertThat(reference).as("docs/configuration.md documents %s", key).contains("`" + key + "`");
        }
    }

    /** Key paths of a YAML file written in block style with "{ ... }" flow maps at most one deep. */
    private static Set<String> yamlKeyPaths(String yaml) {
        Set<String> paths = new TreeSet<>();
        String[] stack = new String[10];
        Pattern key = Pattern.compile("^( *)([a-z_0-9]+):(.*)$");
        for (String line : yaml.split("\n")) {
            Matcher m = key.matcher(line);
            if (!m.matches()) {
                continue;
            }
            int depth = m.group(1).length() / 2;
            stack[depth] = m.group(2);
            StringBuilder path = new StringBuilder();
            for (int i = 0; i <= depth; i++) {
                path.append(i == 0 ? "" : ".").append(stack[i]);
            }
            paths.add(path.toString());
        }
        return paths;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "listeners: { tcp: { port: 70000 } }|listeners.tcp.port: expected an integer from 0 to 65535, got 70000",
            "listeners: { tcp: { port: abc } }|listeners.tcp.port: expected an integer from 0 to 65535, got \"abc\"",
            "listeners: { tcp: { prot: 1 } }|listeners.tcp.prot: unknown key",
            "listeners: { mqtt: {} }|listeners.mqtt: unknown key",
            "colour: blue|colour: unknown key",
            "mqtt: { max_qos: 3 }|mqtt.max_qos: expected an integer from 0 to 2, got 3",
            "mqtt: { retain_available: maybe }|mqtt.retain_available: expected true or false, got \"maybe\"",
            "sessions: { queue_overflow_policy: drop_all }|sessions.queue_overflow_policy: expected one of drop_oldest, drop_new, got \"drop_all\"",
            "listeners: { websocket: { path: mqtt } }|listeners.websocket.path: must start with '/', got \"mqtt\"",
            "mqtt: 5|mqtt: expected a mapping, got 5",
            "listeners: { tcp: { host: '' } }|listeners.tcp.host: must not be empty",
            "listeners: { coap: { dtls: { enabled: true } } }|listeners.coap.dtls.psk: DTLS is enabled but no pre-shared key is configured",
            "listeners: { coap: { dtls: { psk: { dev: 7 } } } }|listeners.coap.dtls.psk.dev: expected a non-empty string, got 7",
            "listeners: { coap: { max_connections: 5 } }|listeners.coap.max_connections: unknown key",
            "listeners: { websocket: { allowed_origins: https://a } }|listeners.websocket.allowed_origins: expected a list of strings, got \"https://a\"",
    })
    void badValuesNameTheKeyAndTheValue(String yaml, String message) {
        assertThatThrownBy(() -> new ConfigLoader().parse(yaml, "t")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void syntaxErrorsAndDuplicateKeysAreReported() {
        assertThatThrownBy(() -> new ConfigLoader().parse("listeners: [", "f.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("f.yaml: not valid YAML");
        assertThatThrownBy(() -> new ConfigLoader().parse("mqtt: {}\nmqtt: {}\n", "f.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("Duplicate field 'mqtt'");
        assertThatThrownBy(() -> new ConfigLoader().load(Path.of("no-such.yaml")))
                .isInstanceOf(ConfigException.class).hasMessage("no-such.yaml: no such file");
    }

    @Test
    void everyKeyCanComeFromTheEnvironment() throws ConfigException {
        TernConfig config = new ConfigLoader(Map.of(
                "TERN_LISTENERS_TCP_PORT", "1884",
                "TERN_LISTENERS_COAP_ENABLED", "false",
                "TERN_LISTENERS_WEBSOCKET_ALLOWED_ORIGINS", "[https://a.example, https://b.example]",
                "TERN_LOGGING_LEVELS", "{io.tern: debug}",
                "TERN_MQTT_RETAIN_AVAILABLE", "false",
                "TERN_CONFIG", "/etc/tern/tern.yaml",
                "PATH", "/usr/bin")).parse("listeners: { tcp: { port: 1883 }, coap: {} }", "t");
        assertThat(config.tcp().port()).isEqualTo(1884); // the environment wins over the file
        assertThat(config.coap().listener().enabled()).isFalse();
        assertThat(config.websocket().listener().enabled()).isTrue(); // set by a key: turned on
        assertThat(config.websocket().allowedOrigins()).containsExactly("https://a.example", "https://b.example");
        assertThat(config.logging().levels()).containsEntry("io.tern", "debug");
        assertThat(config.broker().retainAvailable()).isFalse();
    }

    @Test
    void everyKnownKeyHasAnEnvironmentVariable() throws ConfigException {
        ConfigLoader loader = new ConfigLoader();
        loader.load(SHIPPED);
        for (String key : loader.knownKeys()) {
            String variable = ConfigLoader.environmentVariable(key);
            assertThat(variable).matches("TERN_[A-Z0-9_]+");
        }
        assertThat(ConfigLoader.environmentVariable("listeners.tcp.max_connections"))
                .isEqualTo("TERN_LISTENERS_TCP_MAX_CONNECTIONS");
    }

    @Test
    void environmentMistakesNameTheVariable() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of("TERN_LISTENERS_TCP_PORT", "x")).parse("", "t"))
                .hasMessage("listeners.tcp.port: expected an integer from 0 to 65535, got \"x\" (set by TERN_LISTENERS_TCP_PORT)");
        assertThatThrownBy(() -> new ConfigLoader(Map.of("TERN_LISTENRES_TCP_PORT", "1")).parse("", "t"))
                .hasMessageStartingWith("TERN_LISTENRES_TCP_PORT: no such setting");
        assertThatThrownBy(() -> new ConfigLoader(Map.of("TERN_LOGGING_LEVELS", "{io.tern: loud}")).parse("", "t"))
                .hasMessageStartingWith("logging.levels.io.tern: expected one of trace, debug, info, warn, error, off");
    }

    @Test
    void valuesReachTheSettings() throws ConfigException {
        TernConfig config = new ConfigLoader().parse("""
                sessions: { max_queued_messages: 5, queue_overflow_policy: drop_new, max_expiry_seconds: 60,
                            persistent_session_expiry_seconds: 3600 }
                mqtt: { max_packet_size: 4096, max_qos: 1, topic_alias_maximum: 0 }
                """, "t");
        assertThat(config.broker().maxQueuedMessages()).isEqualTo(5);
        assertThat(config.broker().queueOverflowPolicy()).isEqualTo(QueueOverflowPolicy.DROP_NEW);
        assertThat(config.broker().persistentSessionExpirySeconds()).isEqualTo(60); // capped by the maximum
        assertThat(config.mqtt().maxPacketSize()).isEqualTo(4096);
        assertThat(config.mqtt().topicAliasMaximum()).isZero();
    }
}
