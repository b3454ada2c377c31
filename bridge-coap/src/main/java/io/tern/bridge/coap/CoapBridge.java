package io.tern.bridge.coap;

import io.tern.core.Broker;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.config.CoapConfig;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.Endpoint;
import org.eclipse.californium.elements.config.Configuration;
import org.eclipse.californium.elements.config.UdpConfig;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConfig;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.pskstore.AdvancedMultiPskStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The CoAP bridge: {@code POST /mqtt/publish/{topic}}, {@code GET /mqtt/subscribe/{filter}} (with
 * Observe), {@code GET /health}, over UDP and optionally DTLS with pre-shared keys.
 */
public final class CoapBridge implements AutoCloseable {
    /** The label of the CoAP bridge's publishes and notifications in the message counters. */
    static final String PROTOCOL = "coap";

    private static final Logger LOG = LoggerFactory.getLogger(CoapBridge.class);

    static {
        CoapConfig.register();
        UdpConfig.register();
        DtlsConfig.register();
    }

    private final CoapSettings settings;
    private final Broker broker;
    private final BooleanSupplier serving;
    private final ExecutorService observerExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tern-coap-observers");
        t.setDaemon(true);
        return t;
    });
    private CoapServer server;
    private SubscribeResource subscribe;
    private InetSocketAddress udpAddress;
    private InetSocketAddress dtlsAddress;

    public CoapBridge(CoapSettings settings, Broker broker, BooleanSupplier serving) {
        this.settings = settings;
        this.broker = broker;
        this.serving = serving;
        broker.metrics().expectPublishesFrom(PROTOCOL);
        broker.metrics().expectDeliveriesOver(PROTOCOL);
    }

    public InetSocketAddress start() {
        // Never Configuration.getStandard(): it writes Californium3.properties into the working dir.
        Configuration config = Configuration.createStandardWithoutFile();
        config.set(CoapConfig.MAX_RESOURCE_BODY_SIZE, settings.maxPayloadBytes());
        config.set(CoapConfig.NOTIFICATION_CHECK_INTERVAL_TIME, settings.notificationCheckSeconds(), TimeUnit.SECONDS);
        config.set(CoapConfig.NOTIFICATION_CHECK_INTERVAL_COUNT, settings.notificationCheckCount());
        server = new CoapServer(config);
        CoapResource mqtt = new CoapResource("mqtt");
        subscribe = new SubscribeResource(broker, observerExecutor, settings.maxObservers(), settings.allowAnonymous());
        mqtt.add(new PublishResource(broker, settings.maxPayloadBytes(), settings.allowAnonymous()), subscribe);
        server.add(mqtt, new HealthResource(serving));
        Endpoint udp = new CoapEndpoint.Builder().setConfiguration(config)
                .setInetSocketAddress(new InetSocketAddress(settings.host(), settings.port())).build();
        server.addEndpoint(udp);
        Endpoint dtls = null;
        if (settings.dtls() != null) {
            dtls = dtlsEndpoint(config);
            server.addEndpoint(dtls);
        }
        server.start();
        udpAddress = udp.getAddress();
        LOG.info("listener_started protocol=coap transport=udp address={}:{}", udpAddress.getHostString(),
                udpAddress.getPort());
        if (dtls != null) {
            dtlsAddress = dtls.getAddress();
            LOG.info("listener_started protocol=coap transport=dtls address={}:{}", dtlsAddress.getHostString(),
                    dtlsAddress.getPort());
        }
        return udpAddress;
    }

    private Endpoint dtlsEndpoint(Configuration config) {
        Configuration dtlsConfig = new Configuration(config);
        dtlsConfig.set(DtlsConfig.DTLS_ROLE, DtlsConfig.DtlsRole.SERVER_ONLY);
        AdvancedMultiPskStore keys = new AdvancedMultiPskStore();
        settings.dtls().preSharedKeys().forEach(keys::setKey);
        DTLSConnector connector = new DTLSConnector(DtlsConnectorConfig.builder(dtlsConfig)
                .setAddress(new InetSocketAddress(settings.host(), settings.dtls().port()))
                .setAdvancedPskStore(keys)
                .build());
        return new CoapEndpoint.Builder().setConfiguration(dtlsConfig).setConnector(connector).build();
    }

    /** The bound DTLS address, or null without DTLS. */
    public InetSocketAddress dtlsAddress() {
        return dtlsAddress;
    }

    /** Observe relations currently registered. */
    public int observers() {
        return subscribe == null ? 0 : subscribe.relationCount();
    }

    @Override
    public void close() {
        if (subscribe != null) {
            subscribe.closeAll();
        }
        if (server != null) {
            server.destroy();
        }
        observerExecutor.shutdown();
        try {
            observerExecutor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
