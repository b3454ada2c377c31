package io.tern.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tern.core.Broker;
import io.tern.core.Publisher;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Publishes broker statistics as retained QoS 0 messages under {@code $SYS/broker/...}, with
 * Mosquitto's topic names where they overlap, every {@code server.sys_interval_seconds}.
 * Wildcards at the first level do not match {@code $SYS} [MQTT-4.7.2-1]: subscribe to
 * {@code $SYS/#}.
 */
final class SysTopics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SysTopics.class);
    /** The protocol its publishes are counted under; the warm-up publishes as it does. */
    static final String PROTOCOL = "sys";
    private static final int[] LOAD_WINDOWS_MINUTES = {1, 5, 15};

    private final Broker broker;
    private final MeterRegistry registry;
    private final int intervalSeconds;
    private final String version;
    private final long startedAtMillis = System.currentTimeMillis();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tern-sys-topics");
        t.setDaemon(true);
        return t;
    });
    private final LoadAverage received = new LoadAverage();
    private final LoadAverage sent = new LoadAverage();
    private final LoadAverage connections = new LoadAverage();

    SysTopics(Broker broker, MeterRegistry registry, int intervalSeconds, String version) {
        this.broker = broker;
        this.registry = registry;
        this.intervalSeconds = intervalSeconds;
        this.version = version;
        if (intervalSeconds > 0) {
            broker.metrics().expectPublishesFrom(PROTOCOL);
        }
    }

    void start() {
        if (intervalSeconds > 0) {
            scheduler.scheduleAtFixedRate(this::publishAll, 0, intervalSeconds, TimeUnit.SECONDS);
        }
    }

    /**
     * Publishes the current values once, now, on the caller's thread, if $SYS is on. The warm-up
     * does, so that the real broker's first publishes happen while there is still warm-up
     * traffic to recompile what they change ({@link WarmUp}).
     */
    void publishNow() {
        if (intervalSeconds > 0) {
            publishAll();
        }
    }

    private void publishAll() {
        try {
            double receivedTotal = counterSum("tern.messages.received", true);
            double sentTotal = counterSum("tern.messages.sent", false);
            double accepted = counterSum("tern.connections.accepted", false);
            double connected = gauge("tern.connections.current");
            double sessions = gauge("tern.sessions");
            publish("version", "tern " + version);
            publish("uptime", (System.currentTimeMillis() - startedAtMillis) / 1000 + " seconds");
            publish("clients/connected", whole(connected));
            publish("clients/active", whole(connected));
            publish("clients/total", whole(sessions));
            publish("clients/disconnected", whole(Math.max(0, sessions - connected)));
            publish("messages/received", whole(receivedTotal));
            publish("messages/sent", whole(sentTotal));
            publish("publish/messages/dropped", whole(counterSum("tern.messages.dropped", false)));
            publish("subscriptions/count", whole(gauge("tern.subscriptions")));
            publish("retained messages/count", whole(gauge("tern.retained.messages")));
            publish("heap/current", whole(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()));
            received.update(receivedTotal, intervalSeconds);
            sent.update(sentTotal, intervalSeconds);
            connections.update(accepted, intervalSeconds);
            for (int i = 0; i < LOAD_WINDOWS_MINUTES.length; i++) {
                String window = LOAD_WINDOWS_MINUTES[i] + "min";
                publish("load/messages/received/" + window, decimal(received.perMinute[i]));
                publish("load/messages/sent/" + window, decimal(sent.perMinute[i]));
                publish("load/connections/" + window, decimal(connections.perMinute[i]));
            }
        } catch (RuntimeException e) {
            LOG.warn("sys_topics_failed error={}", e.toString());
        }
    }

    private void publish(String suffix, String value) {
        broker.publish(Message.of("$SYS/broker/" + suffix, value.getBytes(StandardCharsets.UTF_8),
                QoS.AT_MOST_ONCE, true), Publisher.broker(PROTOCOL));
    }

    /** Sum over all tag values; the received count leaves out $SYS's own messages. */
    private double counterSum(String name, boolean excludeSys) {
        double sum = 0;
        for (Counter counter : registry.find(name).counters()) {
            if (excludeSys && PROTOCOL.equals(counter.getId().getTag("protocol"))) {
                continue;
            }
            sum += counter.count();
        }
        return sum;
    }

    private double gauge(String name) {
        Gauge gauge = registry.find(name).gauge();
        return gauge == null ? 0 : gauge.value();
    }

    private static String whole(double value) {
        return Long.toString(Math.round(value));
    }

    private static String decimal(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** Per-minute rates smoothed over 1, 5 and 15 minutes, like Mosquitto's load figures. */
    private static final class LoadAverage {
        final double[] perMinute = new double[LOAD_WINDOWS_MINUTES.length];
        private double lastTotal = Double.NaN;

        void update(double total, int intervalSeconds) {
            if (Double.isNaN(lastTotal)) {
                lastTotal = total;
                return;
            }
            double ratePerMinute = (total - lastTotal) * 60.0 / intervalSeconds;
            lastTotal = total;
            for (int i = 0; i < LOAD_WINDOWS_MINUTES.length; i++) {
                double alpha = 1 - Math.exp(-intervalSeconds / (LOAD_WINDOWS_MINUTES[i] * 60.0));
                perMinute[i] += alpha * (ratePerMinute - perMinute[i]);
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
