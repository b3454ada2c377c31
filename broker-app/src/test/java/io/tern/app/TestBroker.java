package io.tern.app;

import io.tern.app.config.ConfigException;
import io.tern.app.config.ConfigLoader;
import io.tern.app.config.TernConfig;

import java.util.Map;

/** A real Tern server on 127.0.0.1 and a free port, configured from YAML. */
final class TestBroker implements AutoCloseable {
    final TernServer server;
    final io.micrometer.core.instrument.MeterRegistry meters;

    /** A broker on 127.0.0.1:0 with {@code extraYaml} appended to the listener section. */
    static TestBroker withExtra(String extraYaml) {
        return new TestBroker("listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\n" + extraYaml);
    }

    /**
     * @param yaml the whole configuration; it must enable listeners.tcp. Without a storage
     *             section the broker keeps its state in memory (tests must not share ./data).
     */
    TestBroker(String yaml) {
        TernConfig config;
        try {
            // Two event loops whatever the machine (the default is one per two cores): clients
            // then land on different loops, so hand-offs between loops, and takeovers across
            // them, stay under test on a two-core CI machine too.
            config = new ConfigLoader(Map.of("TERN_SERVER_IO_THREADS", "2")).parse(yaml.contains("storage:") ? yaml
                    : yaml + (yaml.endsWith("\n") ? "" : "\n") + "storage: { type: memory }\n", "test");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        server = new TernServer(config);
        meters = server.meterRegistry();
        try {
            server.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    int port() {
        return server.tcpAddress().getPort();
    }

    double counter(String name, String... tags) {
        var counter = meters.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    @Override
    public void close() {
        server.close();
    }
}
