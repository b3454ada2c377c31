package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.tern.app.config.ConfigLoader;
import io.tern.app.config.TernConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class WarmUpTest {

    private static TernConfig config(String extraYaml) throws Exception {
        return new ConfigLoader().parse("listeners:\n  tcp: { host: 127.0.0.1, port: 0 }\nstorage: { type: memory }\n"
                + extraYaml, "test");
    }

    @Test
    void warmUpRunsItsMessagesAndConnectionsOverLoopbackAndLeavesNothingInTheRealBroker() throws Exception {
        try (TernServer server = new TernServer(config("server: { warm_up_messages: 3000, warm_up_connections: 500,"
                + " sys_interval_seconds: 0 }\nlimits: { max_publish_rate: 10 }\n"))) {
            // The publish-rate limit would stretch 3,000 messages over minutes: the warm-up has none.
            WarmUp.Result result = server.warmUp();
            assertThat(result.messages()).isEqualTo(3000);
            assertThat(result.connections()).isEqualTo(500);
            server.start();

            var meters = server.meterRegistry();
            assertThat(meters.find("tern.messages.received").counters()).allSatisfy(c -> assertThat(c.count()).isZero());
            assertThat(meters.find("tern.connections.accepted").counter().count()).isZero();
            // Some warm-up clients keep their sessions; in the throwaway broker only.
            assertThat(server.broker().session("warm-up-connection-26")).isNull();

            Mqtt5BlockingClient client = com.hivemq.client.mqtt.MqttClient.builder().useMqttVersion5()
                    .identifier("after-warm-up").serverHost("127.0.0.1").serverPort(server.tcpAddress().getPort())
                    .buildBlocking();
            client.connect();
            try (Mqtt5BlockingClient.Mqtt5Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
                client.subscribeWith().topicFilter("#").qos(MqttQos.AT_LEAST_ONCE).send();
                client.publishWith().topic("real/topic").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
                // No retained or queued warm-up message comes first: the first one is ours.
                Optional<Mqtt5Publish> first = publishes.receive(5, TimeUnit.SECONDS);
                assertThat(first).isPresent();
                assertThat(first.get().getTopic().toString()).isEqualTo("real/topic");
            } finally {
                client.disconnect();
            }
        }
    }

    @Test
    void theRealBrokersOwnSysPublishesRunDuringTheWarmUpAndNothingElseOfIt() throws Exception {
        try (TernServer server = new TernServer(config("server: { warm_up_messages: 3000, warm_up_connections: 100,"
                + " sys_interval_seconds: 60 }\n"))) {
            server.warmUp();

            // Before any listener opens, the real broker holds its $SYS set (published halfway
            // through the warm-up, so the compiled publish path has seen the real broker's stores)...
            assertThat(server.broker().retainedMessage("$SYS/broker/version"))
                    .hasValueSatisfying(m -> assertThat(new String(m.payload(), StandardCharsets.UTF_8)).startsWith("tern "));
            var received = server.meterRegistry().find("tern.messages.received").counters();
            assertThat(received).filteredOn(c -> !"sys".equals(c.getId().getTag("protocol")))
                    .allSatisfy(c -> assertThat(c.count()).isZero());
            assertThat(received).filteredOn(c -> "sys".equals(c.getId().getTag("protocol")))
                    .singleElement().satisfies(c -> assertThat(c.count()).isPositive());
            // ... and none of the throwaway broker's messages, its own $SYS-like ones included.
            assertThat(server.broker().retainedMessage("$SYS/broker/warm-up/0")).isEmpty();
            assertThat(server.broker().retainedMessage("$SYS/broker/warm-up/1")).isEmpty();
        }
    }

    @Test
    void zeroMessagesIsNoWarmUp() throws Exception {
        try (TernServer server = new TernServer(config("server: { warm_up_messages: 0, warm_up_connections: 0 }\n"))) {
            WarmUp.Result result = server.warmUp();
            assertThat(result.messages()).isZero();
            assertThat(result.connections()).isZero();
        }
    }
}
