package io.tern.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.tern.app.config.ListenerConfig;
import io.tern.app.config.TernConfig;
import io.tern.core.Broker;
import io.tern.core.ReasonCode;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.mqtt.MqttTail;
import io.tern.transport.tcp.EventLoops;
import io.tern.transport.tcp.TcpListener;
import io.tern.transport.tcp.TcpSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The daemon: wires the broker and its listeners with plain constructors, starts them in order
 * and stops them in reverse.
 */
public final class TernServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TernServer.class);
    private static final long DISCONNECT_GRACE_MILLIS = 2_000;

    private final TernConfig config;
    private final Broker broker;
    private final EventLoops loops;
    private final MqttTail tail;
    private TcpListener tcp;
    private InetSocketAddress tcpAddress;
    private boolean stopped;

    public TernServer(TernConfig config, MeterRegistry meterRegistry) {
        this.config = config;
        this.broker = new Broker(config.broker(), new InMemoryRetainedStore(), new InMemorySessionStore(),
                Authenticator.allowAll(), Authorizer.allowAll(), meterRegistry, System::currentTimeMillis);
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
        }
        warnIfUnavailable("websocket", config.websocket());
        warnIfUnavailable("http", config.http());
        warnIfUnavailable("coap", config.coap());
        if (tcp == null) {
            LOG.warn("no_listeners_enabled");
        }
    }

    private static void warnIfUnavailable(String name, ListenerConfig listener) {
        if (listener.enabled()) {
            LOG.warn("listener_not_available listener={} reason=\"not part of this build yet\"", name);
        }
    }

    public Broker broker() {
        return broker;
    }

    /** The bound MQTT/TCP address, or null if that listener is off. */
    public InetSocketAddress tcpAddress() {
        return tcpAddress;
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
        LOG.info("shutdown_started");
        if (tcp != null) {
            tcp.stopAccepting();
        }
        broker.disconnectAll(ReasonCode.SERVER_SHUTTING_DOWN);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DISCONNECT_GRACE_MILLIS);
        while (tcp != null && tcp.openConnections() > 0 && System.nanoTime() < deadline) {
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
        loops.close();
        broker.close();
        LOG.info("shutdown_complete");
    }
}
