package io.tern.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.tern.app.config.ListenerConfig;
import io.tern.app.config.TernConfig;
import io.tern.bridge.coap.CoapBridge;
import io.tern.bridge.coap.CoapSettings;
import io.tern.bridge.http.HealthReport;
import io.tern.bridge.http.HttpBridge;
import io.tern.bridge.http.HttpBridgeSettings;
import io.tern.core.Broker;
import io.tern.core.ReasonCode;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
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
    private TcpListener tcp;
    private HttpBridge http;
    private WebSocketListener websocket;
    private CoapBridge coap;
    private InetSocketAddress coapAddress;
    private InetSocketAddress tcpAddress;
    private InetSocketAddress websocketAddress;
    private InetSocketAddress httpAddress;
    private boolean stopped;
    private SysTopics sysTopics;

    public TernServer(TernConfig config) {
        this.config = config;
        this.broker = new Broker(config.broker(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                Authenticator.allowAll(), Authorizer.allowAll(), meters.registry(), System::currentTimeMillis);
        int ioThreads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
        this.loops = new EventLoops(ioThreads);
        this.tail = new MqttTail(broker, config.mqtt());
    }

    public void start() throws InterruptedException {
        ListenerConfig tcpConfig = config.tcp();
        if (tcpConfig.enabled()) {
            tcp = new TcpListener(new TcpSettings(tcpConfig.host(), tcpConfig.port(), tcpConfig.maxConnections()),
                    broker, tail, loops);
            tcpAddress = tcp.start();
            listenerUp("tcp", tcpAddress);
        } else {
            listenerOff("tcp");
        }
        ListenerConfig wsConfig = config.websocket().listener();
        if (wsConfig.enabled()) {
            websocket = new WebSocketListener(new WebSocketSettings(wsConfig.host(), wsConfig.port(), wsConfig.path(),
                    wsConfig.maxConnections(), config.websocket().maxFrameBytes(), config.websocket().maxMessageBytes(),
                    config.websocket().allowedOrigins(), config.websocket().trustedProxies(),
                    config.mqtt().connectTimeoutMillis()), broker, tail, loops);
            websocketAddress = websocket.start();
            listenerUp("websocket", websocketAddress);
        } else {
            listenerOff("websocket");
        }
        ListenerConfig httpConfig = config.http().listener();
        if (httpConfig.enabled()) {
            http = new HttpBridge(new HttpBridgeSettings(httpConfig.host(), httpConfig.port(),
                    httpConfig.maxConnections(), config.http().maxBodyBytes(), config.http().maxConcurrentRequests()),
                    broker, loops, this::health, meters::scrape);
            httpAddress = http.start();
            listenerUp("http", httpAddress);
        } else {
            listenerOff("http");
        }
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
                    config.coap().notificationCheckCount(), dtls), broker, () -> lifecycle == Lifecycle.RUNNING);
            coapAddress = coap.start();
            listenerUp("coap", coapAddress);
            if (coap.dtlsAddress() != null) {
                listenerUp("coap-dtls", coap.dtlsAddress());
            }
        } else {
            listenerOff("coap");
        }
        if (tcp == null && websocket == null && http == null && coap == null) {
            LOG.warn("no_listeners_enabled");
        }
        sysTopics = new SysTopics(broker, meters.registry(), config.sysIntervalSeconds(), TernMain.version());
        sysTopics.start();
        lifecycle = Lifecycle.RUNNING;
        LOG.info("broker_started version={} listeners={}", TernMain.version(), listenerStates.keySet().stream()
                .filter(name -> "up".equals(listenerStates.get(name).state())).toList());
    }

    private synchronized void listenerUp(String name, InetSocketAddress address) {
        listenerStates.put(name, new HealthReport.ListenerState("up", address.getHostString() + ":" + address.getPort()));
    }

    private synchronized void listenerOff(String name) {
        listenerStates.put(name, new HealthReport.ListenerState("off", null));
    }

    private int openMqttConnections() {
        return (tcp == null ? 0 : tcp.openConnections()) + (websocket == null ? 0 : websocket.openConnections());
    }

    /** What GET /health reports: 503 unless running. */
    synchronized HealthReport health() {
        return new HealthReport(lifecycle == Lifecycle.RUNNING,
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(listenerStates)));
    }

    public Broker broker() {
        return broker;
    }

    public MeterRegistry meterRegistry() {
        return meters.registry();
    }

    /** The bound MQTT/TCP address, or null if that listener is off. */
    public InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    /** The bound MQTT/WebSocket address, or null if that listener is off. */
    public InetSocketAddress websocketAddress() {
        return websocketAddress;
    }

    /** The bound CoAP (UDP) address, or null if that listener is off. */
    public InetSocketAddress coapAddress() {
        return coapAddress;
    }

    /** The CoAP bridge, or null if it is off. */
    public CoapBridge coapBridge() {
        return coap;
    }

    /** The bound HTTP bridge address, or null if that listener is off. */
    public InetSocketAddress httpAddress() {
        return httpAddress;
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
        if (sysTopics != null) {
            sysTopics.close();
        }
        if (tcp != null) {
            tcp.stopAccepting();
        }
        if (websocket != null) {
            websocket.stopAccepting();
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
        if (tcp != null) {
            tcp.close();
        }
        if (websocket != null) {
            websocket.close();
        }
        if (http != null) {
            http.close();
        }
        if (coap != null) {
            coap.close();
        }
        loops.close();
        broker.close();
        meters.close();
        LOG.info("shutdown_complete");
    }
}
