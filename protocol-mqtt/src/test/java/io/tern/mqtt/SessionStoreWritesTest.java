package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.SessionStore;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** What a session writes to the session store: nothing unless it is persistent, or was. */
class SessionStoreWritesTest {

    /** An in-memory store that records its writes. */
    private static final class CountingStore implements SessionStore {
        final InMemorySessionStore delegate = new InMemorySessionStore();
        final List<String> writes = new CopyOnWriteArrayList<>();

        @Override
        public void save(SessionRecord record) {
            writes.add("save " + record.clientId());
            delegate.save(record);
        }

        @Override
        public void delete(String clientId) {
            writes.add("delete " + clientId);
            delegate.delete(clientId);
        }

        @Override
        public Collection<SessionRecord> loadAll() {
            return delegate.loadAll();
        }
    }

    private static MqttMessage connect(String clientId, boolean cleanSession) {
        return MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1).clientId(clientId)
                .cleanSession(cleanSession).keepAlive(60).build();
    }

    private static MqttMessage disconnect() {
        return MqttMessageBuilders.disconnect().build();
    }

    private static void connectAndLeave(TailHarness harness, String clientId, boolean cleanSession) {
        TailHarness.Connection c = harness.connect(MqttVersion.MQTT_3_1_1).send(connect(clientId, cleanSession));
        assertThat(c.received()).extracting(m -> m.fixedHeader().messageType()).containsExactly(MqttMessageType.CONNACK);
        c.send(disconnect());
        assertThat(c.server.isOpen()).isFalse();
    }

    @Test
    void aCleanSessionNeverTouchesTheStore() {
        CountingStore store = new CountingStore();
        try (TailHarness harness = new TailHarness(store)) {
            connectAndLeave(harness, "clean", true);
            connectAndLeave(harness, "clean", true);
            assertThat(store.writes).isEmpty();
        }
    }

    @Test
    void aSessionThatWasPersistentIsDeletedWhenACleanOneReplacesIt() {
        CountingStore store = new CountingStore();
        try (TailHarness harness = new TailHarness(store)) {
            connectAndLeave(harness, "kept", false);
            assertThat(store.writes).contains("save kept").doesNotContain("delete kept");
            connectAndLeave(harness, "kept", true); // [MQTT-3.1.2-6] a clean session discards the old one
            assertThat(store.writes).contains("delete kept");
            assertThat(store.delegate.loadAll()).isEmpty();
        }
    }
}
