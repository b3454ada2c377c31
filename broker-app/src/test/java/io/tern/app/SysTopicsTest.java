package io.tern.app;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** $SYS topics with Mosquitto's names, read by a real client. */
class SysTopicsTest extends ClientSupport {

    @Override
    String brokerYaml() {
        return "server: { sys_interval_seconds: 1 }\n";
    }

    @Test
    void sysTopicsArePublishedAndOnlyExplicitSubscribersSeeThem() throws Exception {
        Mqtt5BlockingClient everything = v5("hash-subscriber");
        everything.connect();
        var hashPublishes = everything.publishes(MqttGlobalPublishFilter.ALL);
        everything.subscribeWith().topicFilter("#").send();

        Mqtt5BlockingClient sys = v5("sys-subscriber");
        sys.connect();
        var publishes = sys.publishes(MqttGlobalPublishFilter.ALL);
        sys.subscribeWith().topicFilter("$SYS/#").send();
        Map<String, String> seen = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        // Retained values from start-up come first; read on until a live update counts us.
        while (!(seen.containsKey("$SYS/broker/retained messages/count")
                && Long.parseLong(seen.getOrDefault("$SYS/broker/clients/connected", "0")) >= 2)
                && System.nanoTime() < deadline) {
            Optional<Mqtt5Publish> publish = publishes.receive(200, TimeUnit.MILLISECONDS);
            publish.ifPresent(p -> seen.put(p.getTopic().toString(),
                    new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8)));
        }
        assertThat(seen).containsKeys("$SYS/broker/version", "$SYS/broker/uptime", "$SYS/broker/clients/connected",
                "$SYS/broker/messages/received", "$SYS/broker/messages/sent", "$SYS/broker/subscriptions/count",
                "$SYS/broker/retained messages/count", "$SYS/broker/load/messages/received/1min",
                "$SYS/broker/heap/current");
        assertThat(seen.get("$SYS/broker/version")).startsWith("tern ");
        assertThat(seen.get("$SYS/broker/uptime")).endsWith(" seconds");
        assertThat(Long.parseLong(seen.get("$SYS/broker/clients/connected"))).isGreaterThanOrEqualTo(2);
        // [MQTT-4.7.2-1] "#" does not match $SYS topics.
        assertThat(hashPublishes.receive(300, TimeUnit.MILLISECONDS)).isEmpty();
    }
}
