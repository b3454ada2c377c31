package io.tern.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.tern.core.Clocks;
import io.tern.app.config.ListenerConfig;
import io.tern.app.config.TernConfig;
import io.tern.app.config.TlsListenerConfig;
import io.tern.app.config.WebSocketListenerConfig;
import io.tern.app.config.StorageConfig;
import io.tern.core.auth.AuthFileException;
import io.tern.core.session.OfflineExecutors;
import io.tern.storage.rocksdb.RocksStorage;
import io.tern.storage.rocksdb.StorageException;
import io.tern.netty.ConnectionGate;
import io.tern.netty.TlsContext;
import io.tern.bridge.coap.CoapBridge;
import io.tern.bridge.coap.CoapSettings;
import io.tern.bridge.http.HealthReport;
import io.tern.bridge.http.HttpBridge;
import io.tern.bridge.http.HttpBridgeSettings;
import io.tern.core.Broker;
import io.tern.core.ReasonCode;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.mqtt.MqttTail;
import io.tern.netty.EventLoops;
import io.tern.transport.tcp.TcpListener;
import io.tern.transport.tcp.TcpSettings;
import io.tern.transport.websocket.WebSocketListener;
import io.tern.transport.websocket.WebSocketSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The daemon: wires the broker and its listeners with plain constructors, starts them in order
 * and stops them in reverse.
 */
public final class TernServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TernServer.class);
    private static final long DISCONNECT_GRACE_MILLIS = 2_000;

    private enum Lifecycle { STARTING, RUNNING, STOPPING }

    private final TernConfig config;
    private final Meters meters = new Meters();
    private final Broker broker;
    private final EventLoops loops;
    private final MqttTail tail;
    private final Map<String, HealthReport.ListenerState> listenerStates = new LinkedHashMap<>();
    private volatile Lifecycle lifecycle = Lifecycle.STARTING;
    private final Security security;
    /** The durable store, or null with storage.type memory. */
    private final RocksStorage storage;
    private final ConnectionGate connectionGate;
    private final List<TlsContext> tlsContexts = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, InetSocketAddress> addresses = new java.util.concurrent.ConcurrentHashMap<>();
    private TcpListener tcp;
    private TcpListener tls;
    private HttpBridge http;
    private HttpBridge https;
    private WebSocketListener websocket;
    private WebSocketListener websocketTls;
    private CoapBridge coap;
    private boolean stopped;
    private final SysTopics sysTopics;

    /**
     * @throws StartupException when the password or ACL file cannot be used (the message names
     *                          the file and line)
     */
    public TernServer(TernConfig config) {
        this.config = config;
        try {
            this.security = new Security(config.auth(), meters.registry());
        } catch (AuthFileException e) {
            meters.close();
            throw new StartupException(e.getMessage());
        }
        if (config.storage().type() == StorageConfig.Type.ROCKSDB) {
            try {
                this.storage = RocksStorage.open(config.storage().dir(), config.storage().fsync(), meters.registry());
            } catch (StorageException e) {
                security.close();
                meters.close();
                throw new StartupException(e.getMessage());
            }
            this.broker = new Broker(config.broker(), storage.retained(), storage.sessions(), storage.log(),
                    security.authenticator(), security.authorizer(), meters.registry(), Clocks.SYSTEM_MILLIS,
                    new OfflineExecutors(config.broker().offlineExecutorThreads()));
        } else {
            this.storage = null;
            this.broker = new Broker(config.broker(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                    security.authenticator(), security.authorizer(), meters.registry(), Clocks.SYSTEM_MILLIS);
        }
        int ioThreads = config.ioThreads() > 0 ? config.ioThreads()
                : EventLoops.defaultThreads(Runtime.getRuntime().availableProcessors());
        this.loops = new EventLoops(ioThreads);
        this.tail = new MqttTail(broker, config.mqtt());
        this.connectionGate = new ConnectionGate(config.limits().maxConnections(), config.limits().maxConnectionsPerAddress(),
                config.limits().maxConnectionRatePerAddress(), broker.metrics());
        this.sysTopics = new SysTopics(broker, meters.registry(), config.sysIntervalSeconds(), TernMain.version());
    }

    /** Start-up cannot go on: a file or setting that cannot be used. */
    public static final class StartupException extends RuntimeException {
        public StartupException(String message) {
            super(message);
        }
    }

    /** The TLS context of a TLS listener, or null for a plain one. */
    private TlsContext tlsContext(TlsListenerConfig listener) {
        if (listener == null) {
            return null;
        }
        try {
            TlsContext context = new TlsContext(listener.configKey(), listener.tls());
            tlsContexts.add(context);
            return context;
        } catch (TlsContext.TlsException e) {
            throw new StartupException(e.getMessage());
        }
    }

    /**
     * Applies what can change without a restart (SIGHUP): the password and ACL files (connected
     * clients follow the new ACL at once) and the TLS certificates (for new connections). A part
     * that fails keeps its previous state. Returns whether everything applied.
     */
    public boolean reload(TernConfig next) {
        boolean ok = security.reload(next.auth());
        for (TlsContext context : tlsContexts) {
            ok &= context.reload();
        }
        return ok;
    }

    /**
     * Compiles the message path before clients come ({@link WarmUp}); call before {@link #start}.
     * The daemon does; tests, which start many brokers, do not.
     */
    WarmUp.Result warmUp() throws InterruptedException {
        return WarmUp.run(config.mqtt().withMaxPublishRate(0), config.broker(), loops, config.warmUpMessages(),
                config.warmUpConnections(), sysTopics::publishNow);
    }

    public void start() throws InterruptedException {
        tcp = startTcp("tcp", config.tcp(), null);
        tls = startTcp("tls", config.tls().listener(), config.tls());
        websocket = startWebSocket("websocket", config.websocket().listener(), null);
        websocketTls = startWebSocket("websocket_tls", config.websocketTls().listener(), config.websocketTls());
        http = startHttp("http", config.http().listener(), null);
        https = startHttp("https", config.https().listener(), config.https());
        ListenerConfig coapConfig = config.coap().listener();
        if (coapConfig.enabled()) {
            CoapSettings.Dtls dtls = null;
            if (config.coap().dtlsEnabled()) {
                java.util.Map<String, byte[]> keys = new java.util.HashMap<>();
                config.coap().dtlsPreSharedKeys().forEach((identity, secret) ->
                        keys.put(identity, secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                dtls = new CoapSettings.Dtls(config.coap().dtlsPort(), keys);
            }
            coap = new CoapBridge(new CoapSettings(coapConfig.host(), coapConfig.port(), config.coap().maxPayloadBytes(),
                    config.coap().maxObservers(), config.coap().notificationCheckSeconds(),
                    config.coap().notificationCheckCount(), dtls, config.auth().allowAnonymous()), broker, () -> lifecycle == Lifecycle.RUNNING);
            listenerUp("coap", coap.start());
            if (coap.dtlsAddress() != null) {
                listenerUp("coap-dtls", coap.dtlsAddress());
            }
        } else {
            listenerOff("coap");
        }
        if (addresses.isEmpty()) {
            LOG.warn("no_listeners_enabled");
        }
        sysTopics.start();
        lifecycle = Lifecycle.RUNNING;
        LOG.info("broker_started version={} listeners={} io_threads={}", TernMain.version(),
                listenerStates.keySet().stream().filter(name -> "up".equals(listenerStates.get(name).state())).toList(),
                loops.threads());
    }

    private TcpListener startTcp(String name, ListenerConfig listener, TlsListenerConfig tlsConfig)
            throws InterruptedException {
        if (!listener.enabled()) {
            listenerOff(name);
            return null;
        }
        TcpListener started = new TcpListener(new TcpSettings(listener.host(), listener.port(), listener.maxConnections()),
                broker, tail, loops, tlsContext(tlsConfig), connectionGate);
        listenerUp(name, started.start());
        return started;
    }

    private WebSocketListener startWebSocket(String name, ListenerConfig listener, TlsListenerConfig tlsConfig)
            throws InterruptedException {
        if (!listener.enabled()) {
            listenerOff(name);
            return null;
        }
        WebSocketListenerConfig ws = config.websocket();
        WebSocketListener started = new WebSocketListener(new WebSocketSettings(listener.host(), listener.port(),
                listener.path(), listener.maxConnections(), ws.maxFrameBytes(), ws.maxMessageBytes(),
                ws.allowedOrigins(), ws.trustedProxies(), config.mqtt().connectTimeoutMillis()), broker, tail, loops,
                tlsContext(tlsConfig), connectionGate);
        listenerUp(name, started.start());
        return started;
    }

    private HttpBridge startHttp(String name, ListenerConfig listener, TlsListenerConfig tlsConfig)
            throws InterruptedException {
        if (!listener.enabled()) {
            listenerOff(name);
            return null;
        }
        HttpBridge started = new HttpBridge(new HttpBridgeSettings(listener.host(), listener.port(),
                listener.maxConnections(), config.http().maxBodyBytes(), config.http().maxConcurrentRequests(),
                !config.auth().allowAnonymous()), broker, loops, this::health, meters::scrape,
                tlsContext(tlsConfig));
        listenerUp(name, started.start());
        return started;
    }

    private synchronized void listenerUp(String name, InetSocketAddress address) {
        addresses.put(name, address);
        listenerStates.put(name, new HealthReport.ListenerState("up", address.getHostString() + ":" + address.getPort()));
    }

    private synchronized void listenerOff(String name) {
        listenerStates.put(name, new HealthReport.ListenerState("off", null));
    }

    private int openMqttConnections() {
        int open = 0;
        for (TcpListener listener : new TcpListener[] {tcp, tls}) {
            open += listener == null ? 0 : listener.openConnections();
        }
        for (WebSocketListener listener : new WebSocketListener[] {websocket, websocketTls}) {
            open += listener == null ? 0 : listener.openConnections();
        }
        return open;
    }

    /** What GET /health reports: 503 unless running. */
    synchronized HealthReport health() {
        return new HealthReport(lifecycle == Lifecycle.RUNNING,
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(listenerStates)));
    }

    /** The configuration the server started with. */
    public TernConfig config() {
        return config;
    }

    public Broker broker() {
        return broker;
    }

    public MeterRegistry meterRegistry() {
        return meters.registry();
    }

    /** The bound MQTT/TCP address, or null if that listener is off. */
    public InetSocketAddress tcpAddress() {
        return addresses.get("tcp");
    }

    /** The bound address of a listener by its config name (tcp, tls, websocket, websocket_tls, http, https, coap), or null. */
    public InetSocketAddress address(String listener) {
        return addresses.get(listener);
    }

    /** The bound MQTT/WebSocket address, or null if that listener is off. */
    public InetSocketAddress websocketAddress() {
        return addresses.get("websocket");
    }

    /** The bound CoAP (UDP) address, or null if that listener is off. */
    public InetSocketAddress coapAddress() {
        return addresses.get("coap");
    }

    /** The CoAP bridge, or null if it is off. */
    public CoapBridge coapBridge() {
        return coap;
    }

    /** The bound HTTP bridge address, or null if that listener is off. */
    public InetSocketAddress httpAddress() {
        return addresses.get("http");
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("listener_close_failed error={}", e.toString());
        }
    }

    /**
     * Stops accepting, tells every client the server is going away (v5 DISCONNECT 0x8B), waits
     * briefly for them to go, then releases threads.
     */
    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        lifecycle = Lifecycle.STOPPING;
        LOG.info("shutdown_started");
        sysTopics.close();
        for (TcpListener listener : new TcpListener[] {tcp, tls}) {
            if (listener != null) {
                listener.stopAccepting();
            }
        }
        for (WebSocketListener listener : new WebSocketListener[] {websocket, websocketTls}) {
            if (listener != null) {
                listener.stopAccepting();
            }
        }
        broker.disconnectAll(ReasonCode.SERVER_SHUTTING_DOWN);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DISCONNECT_GRACE_MILLIS);
        while (openMqttConnections() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20); // bounded wait for sockets to close; not on any event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (AutoCloseable listener : new AutoCloseable[] {tcp, tls, websocket, websocketTls, http, https}) {
            closeQuietly(listener);
        }
        if (coap != null) {
            coap.close();
        }
        loops.close();
        broker.close();
        if (storage != null) {
            storage.close(); // commits what is still queued
        }
        security.close();
        meters.close();
        LOG.info("shutdown_complete");
    }
}
