package io.tern.transport.tcp;

import io.tern.core.Broker;
import io.tern.core.metrics.BrokerMetrics;
import io.tern.mqtt.MqttTail;
import io.tern.netty.ConnectionGate;
import io.tern.netty.ConnectionLimiter;
import io.tern.netty.EventLoops;
import io.tern.netty.ListenerChannels;
import io.tern.netty.TlsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/** MQTT over TCP: accepts sockets and hands them straight to the MQTT tail. */
public final class TcpListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);

    private final TcpSettings settings;
    private final MqttTail tail;
    private final EventLoops loops;
    private final BrokerMetrics metrics;
    private final ConnectionLimiter limiter;
    private final ListenerChannels channels = new ListenerChannels("tern-tcp");
    private final TlsContext tls;

    public TcpListener(TcpSettings settings, Broker broker, MqttTail tail, EventLoops loops) {
        this(settings, broker, tail, loops, null, null);
    }

    /**
     * @param tls            MQTT over TLS (the :8883 listener) when not null
     * @param connectionGate per-IP limits shared with the other MQTT listeners, or null
     */
    public TcpListener(TcpSettings settings, Broker broker, MqttTail tail, EventLoops loops, TlsContext tls,
                       ConnectionGate connectionGate) {
        this.tls = tls;
        this.settings = settings;
        this.tail = tail;
        this.loops = loops;
        this.metrics = broker.metrics();
        this.limiter = new ConnectionLimiter(settings.maxConnections(), metrics, connectionGate);
    }

    /** Binds and returns the bound address (port 0 resolves to the real port). */
    public InetSocketAddress start() throws InterruptedException {
        String transport = tls == null ? "tcp" : "tls";
        metrics.expectDeliveriesOver(transport);
        InetSocketAddress bound = channels.bind(loops, settings.host(), settings.port(), tls, channel -> {
            channel.pipeline().addLast("connection-limit", limiter);
            tail.install(channel.pipeline(), transport);
        });
        LOG.info("listener_started protocol=mqtt transport={} address={}:{} epoll={}", transport,
                bound.getHostString(), bound.getPort(), loops.isEpoll());
        return bound;
    }

    /** Stops accepting; existing connections stay until the broker disconnects them. */
    public void stopAccepting() {
        channels.stopAccepting();
    }

    public int openConnections() {
        return limiter.open();
    }

    /** Closes every connection still open (after the broker has said goodbye). */
    @Override
    public void close() {
        channels.close();
    }
}
