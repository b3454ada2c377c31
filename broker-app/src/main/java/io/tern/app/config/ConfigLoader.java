package io.tern.app.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tern.core.BrokerSettings;
import io.tern.core.message.QoS;
import io.tern.core.session.QueueOverflowPolicy;
import io.tern.core.session.Session;
import io.tern.mqtt.MqttTailSettings;
import io.tern.netty.TlsSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code tern.yaml}. Every key has a default here; {@code config/tern.yaml} documents
 * them all (a test keeps the two in step).
 */
public final class ConfigLoader {
    private static final long MAX_U32 = Session.NEVER_EXPIRES;

    private static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");
    private static final String DEFAULTS_YAML = "listeners: { tcp: {}, websocket: {}, http: {}, coap: {} }";

    private final Set<String> schema = new TreeSet<>();

    /**
     * Built-in defaults, used when no file is given: MQTT over TCP on 0.0.0.0:1883, over WebSocket
     * on 0.0.0.0:8083/mqtt, the HTTP bridge on 0.0.0.0:8080 and the CoAP bridge on 0.0.0.0:5683/udp,
     * as in {@code config/tern.yaml}.
     */
    public static TernConfig defaults() {
        try {
            return new ConfigLoader().parse(DEFAULTS_YAML, "built-in defaults");
        } catch (ConfigException e) {
            throw new IllegalStateException("built-in defaults are invalid", e);
        }
    }

    /** Environment variables that configure the launcher, not the broker: never config keys. */
    private static final Set<String> LAUNCHER_VARIABLES = Set.of("TERN_CONFIG", "TERN_JAVA_OPTS", "TERN_JAR");
    private static final String ENV_PREFIX = "TERN_";

    private final Map<String, String> environment;
    private final Map<String, String> overriddenBy = new java.util.HashMap<>();

    /** A loader that ignores the environment (tests, check of the shipped file). */
    public ConfigLoader() {
        this(Map.of());
    }

    /**
     * @param environment variables; every config key can be set as {@code TERN_} + its path in
     *                    upper case with '.' as '_' (listeners.tcp.port: TERN_LISTENERS_TCP_PORT)
     */
    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The variable that sets {@code keyPath}. */
    public static String environmentVariable(String keyPath) {
        return ENV_PREFIX + keyPath.replace('.', '_').toUpperCase(java.util.Locale.ROOT);
    }

    /** Built-in defaults with the environment's overrides. */
    public TernConfig loadDefaults() throws ConfigException {
        return parse(DEFAULTS_YAML, "built-in defaults");
    }

    public TernConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(text, file.toString());
    }

    public TernConfig parse(String yaml, String source) throws ConfigException {
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
        } catch (JsonProcessingException e) {
            String location = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new ConfigException(source + ": not valid YAML" + location + ": " + e.getOriginalMessage());
        }
        JsonNode withEnvironment = applyEnvironment(root, mapper);
        try {
            return read(withEnvironment);
        } catch (ConfigException e) {
            throw nameTheVariable(e);
        }
    }

    /** Every key path, known by reading an empty document. */
    private static Set<String> allKeyPaths() {
        ConfigLoader probe = new ConfigLoader();
        try {
            probe.read(null);
        } catch (ConfigException e) {
            throw new IllegalStateException("defaults are invalid", e);
        }
        return probe.knownKeys();
    }

    /** Overlays TERN_* variables on the file's tree; values are read as YAML (numbers, booleans, lists). */
    private JsonNode applyEnvironment(JsonNode root, ObjectMapper yaml) throws ConfigException {
        List<Map.Entry<String, String>> overrides = new java.util.ArrayList<>();
        Map<String, String> keyByVariable = new java.util.HashMap<>();
        for (String path : allKeyPaths()) {
            keyByVariable.put(environmentVariable(path), path);
        }
        for (Map.Entry<String, String> variable : environment.entrySet()) {
            if (!variable.getKey().startsWith(ENV_PREFIX) || LAUNCHER_VARIABLES.contains(variable.getKey())) {
                continue;
            }
            String path = keyByVariable.get(variable.getKey());
            if (path == null) {
                throw new ConfigException(variable.getKey() + ": no such setting (every key of config/tern.yaml can be "
                        + "set as TERN_ + its path in upper case with '_' for '.', e.g. TERN_LISTENERS_TCP_PORT)");
            }
            overrides.add(Map.entry(path, variable.getValue()));
        }
        if (overrides.isEmpty()) {
            return root;
        }
        overrides.sort(java.util.Comparator.comparingInt(e -> e.getKey().length())); // sections before their keys
        com.fasterxml.jackson.databind.node.ObjectNode tree = root != null && root.isObject()
                ? ((com.fasterxml.jackson.databind.node.ObjectNode) root).deepCopy()
                : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, String> override : overrides) {
            JsonNode value;
            try {
                value = override.getValue().isEmpty() ? com.fasterxml.jackson.databind.node.TextNode.valueOf("")
                        : yaml.readTree(override.getValue());
            } catch (JsonProcessingException e) {
                throw new ConfigException(environmentVariable(override.getKey()) + ": not a valid value: "
                        + e.getOriginalMessage());
            }
            String[] parts = override.getKey().split("\\.");
            com.fasterxml.jackson.databind.node.ObjectNode parent = tree;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode child = parent.get(parts[i]);
                if (child == null || !child.isObject()) {
                    child = parent.putObject(parts[i]);
                }
                parent = (com.fasterxml.jackson.databind.node.ObjectNode) child;
            }
            parent.set(parts[parts.length - 1], value);
            overriddenBy.put(override.getKey(), environmentVariable(override.getKey()));
        }
        return tree;
    }

    /** "listeners.tcp.port: ..." becomes "...(set by TERN_LISTENERS_TCP_PORT)" when the environment set it. */
    private ConfigException nameTheVariable(ConfigException e) {
        String message = e.getMessage();
        int colon = message.indexOf(':');
        String key = colon < 0 ? "" : message.substring(0, colon);
        String variable = overriddenBy.get(key);
        return variable == null ? e : new ConfigException(message + " (set by " + variable + ")");
    }

    /** Every key path the loader knows, after a load or parse (for the documentation check). */
    public Set<String> knownKeys() {
        return schema;
    }

    private TernConfig read(JsonNode rootNode) throws ConfigException {
        ConfigSection root = ConfigSection.root(rootNode, schema);
        ConfigSection listeners = root.section("listeners");
        ListenerConfig tcp = listener(listeners, "tcp", 1883, false);
        WebSocketListenerConfig websocket = webSocketListener(listeners);
        HttpListenerConfig http = httpListener(listeners);
        CoapListenerConfig coap = coapListener(listeners);
        TlsListenerConfig tls = tlsListener(listeners, "tls", 8883, false);
        TlsListenerConfig websocketTls = tlsListener(listeners, "websocket_tls", 8084, true);
        TlsListenerConfig https = tlsListener(listeners, "https", 8443, false);
        listeners.rejectUnknownKeys();

        ConfigSection authSection = root.section("auth");
        Path passwordFile = readableFile(authSection, "password_file", "auth.password_file");
        Path aclFile = readableFile(authSection, "acl_file", "auth.acl_file");
        boolean allowAnonymous = authSection.bool("allow_anonymous", passwordFile == null);
        authSection.rejectUnknownKeys();
        AuthConfig auth = new AuthConfig(allowAnonymous, passwordFile, aclFile);

        ConfigSection limitsSection = root.section("limits");
        BrokerSettings.TopicLimits topicDefaults = BrokerSettings.TopicLimits.defaults();
        int maxConnections = limitsSection.intValue("max_connections", 0, 0, 10_000_000);
        int perAddress = limitsSection.intValue("max_connections_per_address", 10_000, 0, 10_000_000);
        int ratePerAddress = limitsSection.intValue("max_connection_rate_per_address", 0, 0, 1_000_000);
        int publishRate = limitsSection.intValue("max_publish_rate", 0, 0, 10_000_000);
        int maxSubscriptions = limitsSection.intValue("max_subscriptions_per_session",
                topicDefaults.maxSubscriptionsPerSession(), 1, 10_000_000);
        int maxTopicLength = limitsSection.intValue("max_topic_length", topicDefaults.maxTopicLength(), 1, 65_535);
        int maxTopicLevels = limitsSection.intValue("max_topic_levels", topicDefaults.maxTopicLevels(), 1, 65_535);
        limitsSection.rejectUnknownKeys();
        LimitsConfig limits = new LimitsConfig(maxConnections, perAddress, ratePerAddress, publishRate);

        ConfigSection mqtt = root.section("mqtt");
        MqttTailSettings defaults = MqttTailSettings.defaults();
        BrokerSettings brokerDefaults = BrokerSettings.defaults();
        int maxPacketSize = mqtt.intValue("max_packet_size", defaults.maxPacketSize(), 64, 268_435_455);
        long connectTimeout = mqtt.integer("connect_timeout_seconds", defaults.connectTimeoutMillis() / 1000, 1, 3600);
        int receiveMaximum = mqtt.intValue("receive_maximum", defaults.receiveMaximum(), 1, 65_535);
        int topicAliasMaximum = mqtt.intValue("topic_alias_maximum", defaults.topicAliasMaximum(), 0, 65_535);
        int serverKeepAlive = mqtt.intValue("server_keep_alive_seconds", defaults.serverKeepAliveSeconds(), 0, 65_535);
        int maxKeepAlive = mqtt.intValue("max_keep_alive_seconds", defaults.maxKeepAliveSeconds(), 1, 65_535);
        String responseInformation = mqtt.string("response_information_prefix", defaults.responseInformationPrefix());
        int maxInflight = mqtt.intValue("max_inflight_messages", brokerDefaults.maxInflightMessages(), 1, 65_535);
        int maxQos = mqtt.intValue("max_qos", brokerDefaults.maxQos().value(), 0, 2);
        boolean retainAvailable = mqtt.bool("retain_available", brokerDefaults.retainAvailable());
        mqtt.rejectUnknownKeys();

        ConfigSection sessions = root.section("sessions");
        int maxQueued = sessions.intValue("max_queued_messages", brokerDefaults.maxQueuedMessages(), 1, 10_000_000);
        QueueOverflowPolicy policy = sessions.choice("queue_overflow_policy", brokerDefaults.queueOverflowPolicy(),
                QueueOverflowPolicy.class);
        boolean queueQos0 = sessions.bool("queue_qos0_while_offline", brokerDefaults.queueQos0WhileOffline());
        long maxQueuedBytes = sessions.integer("max_queued_bytes", BrokerSettings.DEFAULT_MAX_QUEUED_BYTES, 0,
                Long.MAX_VALUE / 2);
        long maxQueuedTotal = sessions.integer("max_queued_messages_total", BrokerSettings.DEFAULT_MAX_QUEUED_TOTAL, 0,
                Long.MAX_VALUE / 2);
        long maxExpiry = sessions.integer("max_expiry_seconds", brokerDefaults.maxSessionExpirySeconds(), 0, MAX_U32);
        long persistentExpiry = sessions.integer("persistent_session_expiry_seconds",
                brokerDefaults.persistentSessionExpirySeconds(), 0, MAX_U32);
        sessions.rejectUnknownKeys();

        ConfigSection storageSection = root.section("storage");
        StorageConfig.Type storageType = storageSection.choice("type", StorageConfig.Type.ROCKSDB, StorageConfig.Type.class);
        String storageDir = storageSection.string("dir", "./data");
        if (storageDir.isBlank()) {
            throw new ConfigException("storage.dir: must not be empty");
        }
        boolean fsync = storageSection.bool("fsync", false);
        storageSection.rejectUnknownKeys();
        StorageConfig storage = new StorageConfig(storageType, Path.of(storageDir), fsync);

        ConfigSection server = root.section("server");
        int ioThreads = server.intValue("io_threads", 0, 0, 1024);
        int offlineThreads = server.intValue("offline_session_threads", brokerDefaults.offlineExecutorThreads(), 1, 256);
        int sysInterval = server.intValue("sys_interval_seconds", 10, 0, 86_400);
        int warmUpMessages = server.intValue("warm_up_messages", 30_000, 0, 10_000_000);
        int warmUpConnections = server.intValue("warm_up_connections", 10_000, 0, 1_000_000);
        server.rejectUnknownKeys();

        ConfigSection logging = root.section("logging");
        LoggingConfig.LogFormat format = logging.choice("format", LoggingConfig.LogFormat.TEXT, LoggingConfig.LogFormat.class);
        Map<String, String> levels = logging.stringMap("levels");
        for (Map.Entry<String, String> level : levels.entrySet()) {
            if (!LOG_LEVELS.contains(level.getValue())) {
                throw new ConfigException("logging.levels." + level.getKey() + ": expected one of "
                        + String.join(", ", LOG_LEVELS) + ", got \"" + level.getValue() + "\"");
            }
        }
        logging.rejectUnknownKeys();
        root.rejectUnknownKeys();

        MqttTailSettings tail = new MqttTailSettings(maxPacketSize, connectTimeout * 1000, receiveMaximum,
                topicAliasMaximum, serverKeepAlive, maxKeepAlive, responseInformation, publishRate);
        BrokerSettings broker = new BrokerSettings(maxQueued, policy, queueQos0, maxInflight, maxExpiry,
                Math.min(persistentExpiry, maxExpiry), QoS.of(maxQos), retainAvailable, offlineThreads,
                new BrokerSettings.TopicLimits(maxSubscriptions, maxTopicLength, maxTopicLevels), maxQueuedBytes,
                maxQueuedTotal);
        return new TernConfig(tcp, websocket, http, coap, tls, websocketTls, https, auth, limits, storage, tail, broker,
                ioThreads, sysInterval, warmUpMessages, warmUpConnections, new LoggingConfig(format, levels));
    }

    private static WebSocketListenerConfig webSocketListener(ConfigSection listeners) throws ConfigException {
        ConfigSection section = listeners.section("websocket");
        ListenerConfig listener = listener(listeners.has("websocket"), section, "websocket", 8083, true);
        int maxFrame = section.intValue("max_frame_bytes", 1_048_576, 125, 268_435_455);
        int maxMessage = section.intValue("max_message_bytes", 1_048_576, 125, 268_435_455);
        List<String> origins = section.stringList("allowed_origins");
        List<String> proxies = section.stringList("trusted_proxies");
        section.rejectUnknownKeys();
        return new WebSocketListenerConfig(listener, maxFrame, maxMessage, origins, proxies);
    }

    private static CoapListenerConfig coapListener(ConfigSection listeners) throws ConfigException {
        ConfigSection section = listeners.section("coap");
        boolean present = listeners.has("coap");
        boolean enabled = section.bool("enabled", present);
        String host = section.string("host", "0.0.0.0");
        int port = section.intValue("port", 5683, 0, 65_535);
        int maxPayload = section.intValue("max_payload_bytes", 65_536, 16, 16_777_216);
        int maxObservers = section.intValue("max_observers", 10_000, 1, 10_000_000);
        int checkSeconds = section.intValue("notification_check_interval_seconds", 30, 1, 86_400);
        int checkCount = section.intValue("notification_check_interval_count", 100, 1, 1_000_000);
        ConfigSection dtls = section.section("dtls");
        boolean dtlsEnabled = dtls.bool("enabled", false);
        int dtlsPort = dtls.intValue("port", 5684, 0, 65_535);
        java.util.Map<String, String> keys = dtls.stringMap("psk");
        if (dtlsEnabled && keys.isEmpty()) {
            throw new ConfigException("listeners.coap.dtls.psk: DTLS is enabled but no pre-shared key is configured");
        }
        dtls.rejectUnknownKeys();
        section.rejectUnknownKeys();
        return new CoapListenerConfig(new ListenerConfig(enabled, host, port, null, 0), maxPayload, maxObservers,
                checkSeconds, checkCount, dtlsEnabled, dtlsPort, keys);
    }

    /**
     * A TLS listener: the plain listener's keys plus cert, key, client_ca,
     * require_client_certificate and use_identity_as_username. The files must be readable when
     * the listener is enabled.
     */
    private static TlsListenerConfig tlsListener(ConfigSection listeners, String name, int defaultPort, boolean hasPath)
            throws ConfigException {
        ConfigSection section = listeners.section(name);
        String key = "listeners." + name;
        ListenerConfig listener = listener(listeners.has(name), section, name, defaultPort, hasPath);
        Path cert = readableFile(section, "cert", key + ".cert");
        Path privateKey = readableFile(section, "key", key + ".key");
        Path clientCa = readableFile(section, "client_ca", key + ".client_ca");
        boolean require = section.bool("require_client_certificate", true);
        boolean identity = section.bool("use_identity_as_username", false);
        section.rejectUnknownKeys();
        if (listener.enabled() && (cert == null || privateKey == null)) {
            throw new ConfigException(key + ".cert: the listener is enabled, so cert and key (PEM files) are required");
        }
        if (identity && clientCa == null) {
            throw new ConfigException(key + ".use_identity_as_username: needs client_ca, so that client certificates "
                    + "are verified");
        }
        return new TlsListenerConfig(key, listener, new TlsSettings(cert, privateKey, clientCa, require, identity));
    }

    /** A file path that must exist and be readable now (so check-config catches it); empty or absent gives null. */
    private static Path readableFile(ConfigSection section, String name, String key) throws ConfigException {
        String value = section.string(name, "");
        if (value.isBlank()) {
            return null;
        }
        Path path = Path.of(value);
        if (!Files.isRegularFile(path)) {
            throw new ConfigException(key + ": no such file: " + value);
        }
        if (!Files.isReadable(path)) {
            throw new ConfigException(key + ": cannot read " + value + " (permission denied)");
        }
        return path;
    }

    private static HttpListenerConfig httpListener(ConfigSection listeners) throws ConfigException {
        ConfigSection section = listeners.section("http");
        ListenerConfig listener = listener(listeners.has("http"), section, "http", 8080, false);
        int maxBody = section.intValue("max_body_bytes", 1_048_576, 1, 268_435_455);
        int maxConcurrent = section.intValue("max_concurrent_requests", 1024, 1, 1_000_000);
        section.rejectUnknownKeys();
        return new HttpListenerConfig(listener, maxBody, maxConcurrent);
    }

    /** A listener is on only when present in the file and not {@code enabled: false}. */
    private static ListenerConfig listener(ConfigSection listeners, String name, int defaultPort, boolean hasPath)
            throws ConfigException {
        ConfigSection section = listeners.section(name);
        ListenerConfig listener = listener(listeners.has(name), section, name, defaultPort, hasPath);
        section.rejectUnknownKeys();
        return listener;
    }

    private static ListenerConfig listener(boolean present, ConfigSection section, String name, int defaultPort,
                                           boolean hasPath) throws ConfigException {
        boolean enabled = section.bool("enabled", present);
        String host = section.string("host", "0.0.0.0");
        if (host.isBlank()) {
            throw new ConfigException("listeners." + name + ".host: must not be empty");
        }
        int port = section.intValue("port", defaultPort, 0, 65_535);
        String path = null;
        if (hasPath) {
            path = section.string("path", "/mqtt");
            if (!path.startsWith("/")) {
                throw new ConfigException("listeners." + name + ".path: must start with '/', got \"" + path + "\"");
            }
        }
        int maxConnections = section.intValue("max_connections", 100_000, 1, 10_000_000);
        return new ListenerConfig(enabled, host, port, path, maxConnections);
    }
}
