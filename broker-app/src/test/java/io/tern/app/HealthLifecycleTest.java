package io.tern.app;

import io.tern.app.config.ConfigLoader;
import io.tern.app.config.TernConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** /health answers 503 unless the server is running: while starting and once stopping. */
class HealthLifecycleTest {

    @Test
    void servingOnlyBetweenStartAndStop() throws Exception {
        TernConfig config = new ConfigLoader().parse("listeners: { tcp: { host: 127.0.0.1, port: 0 }, "
                + "http: { host: 127.0.0.1, port: 0 } }\nstorage: { type: memory }\n", "test");
        TernServer server = new TernServer(config);
        try {
            assertThat(server.health().serving()).isFalse();
            server.start();
            assertThat(server.health().serving()).isTrue();
            assertThat(server.health().listeners()).containsKeys("tcp", "http", "websocket", "coap");
        } finally {
            server.close();
        }
        assertThat(server.health().serving()).isFalse();
    }
}
