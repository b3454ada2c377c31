package io.tern.bridge.http;

import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.tern.core.Broker;
import io.tern.netty.ConnectionLimiter;
import io.tern.netty.EventLoops;
import io.tern.netty.ListenerChannels;
import io.tern.netty.TlsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/** The HTTP bridge listener: publish over HTTP, health and Prometheus metrics. */
public final class HttpBridge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpBridge.class);

    private final HttpBridgeSettings settings;
    private final EventLoops loops;
    private final HttpBridgeHandler handler;
    private final ConnectionLimiter limiter;
    private final ListenerChannels channels = new ListenerChannels("tern-http");

    private final TlsContext tls;

    /**
     * @param health  what {@code GET /health} reports
     * @param metrics the Prometheus text exposition for {@code GET /metrics}
     */
    public HttpBridge(HttpBridgeSettings settings, Broker broker, EventLoops loops, Supplier<HealthReport> health,
                      Supplier<String> metrics) {
        this(settings, broker, loops, health, metrics, null);
    }

    /** HTTPS when {@code tls} is not null. */
    public HttpBridge(HttpBridgeSettings settings, Broker broker, EventLoops loops, Supplier<HealthReport> health,
                      Supplier<String> metrics, TlsContext tls) {
        this.tls = tls;
        this.settings = settings;
        this.loops = loops;
        this.handler = new HttpBridgeHandler(broker, health, metrics, settings.maxConcurrentRequests(),
                settings.requireCredentials());
        this.limiter = new ConnectionLimiter(settings.maxConnections(), broker.metrics());
        broker.metrics().expectPublishesFrom(HttpBridgeHandler.PROTOCOL);
    }

    public InetSocketAddress start() throws InterruptedException {
        InetSocketAddress bound = channels.bind(loops, settings.host(), settings.port(), tls, channel -> channel.pipeline()
                .addLast("connection-limit", limiter)
                .addLast("http-codec", new HttpServerCodec())
                .addLast("http-keep-alive", new HttpServerKeepAliveHandler())
                .addLast("http-body-limit", new BodyLimit(settings.maxBodyBytes()))
                .addLast("http-bridge", handler));
        LOG.info("listener_started protocol=http tls={} address={}:{}", tls != null, bound.getHostString(), bound.getPort());
        return bound;
    }

    public void stopAccepting() {
        channels.stopAccepting();
    }

    @Override
    public void close() {
        channels.close();
    }
}
