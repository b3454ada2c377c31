package io.tern.mqtt;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.util.AttributeKey;
import io.tern.core.Broker;
import io.tern.core.Publisher;

/**
 * The MQTT tail every MQTT transport ends in: decoder, encoder, connection handler. A transport
 * adds only its own framing (nothing for TCP; HTTP upgrade and frames for WebSocket) before it.
 */
public final class MqttTail {
    /**
     * The logger of client_connected and client_disconnected, one line per connection; the daemon
     * turns it off unless configured (docs/operations.md).
     */
    public static final String CONNECTIONS_LOGGER = "io.tern.connections";
    /**
     * The client's address as a transport knows it better than the socket does (a WebSocket
     * behind a trusted proxy sets it from X-Forwarded-For); used for logs and credentials.
     */
    public static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.valueOf("tern.client.address");

    /** MQTT 3.1 limited client ids to 23 characters; everyone accepts longer ones today. */
    private static final int MAX_CLIENT_ID_LENGTH = 65_535;

    private final Broker broker;
    private final MqttTailSettings settings;
    /** Shared by every connection, so the cap on client-caused log lines holds broker-wide. */
    private final LogBudget logBudget = new LogBudget(20);
    private final KeepAliveSweeper.PerLoop keepAliveSweepers = new KeepAliveSweeper.PerLoop();
    private final ConnectTranslator translator;

    public MqttTail(Broker broker, MqttTailSettings settings) {
        this.broker = broker;
        this.settings = settings;
        this.translator = new ConnectTranslator(settings, broker.settings());
        broker.metrics().expectPublishesFrom(Publisher.MQTT);
        broker.metrics().expectPublishesFrom(Publisher.WILL);
    }

    /** Appends the tail to {@code pipeline}; {@code transport} labels logs and metrics (tcp, ws). */
    public void install(ChannelPipeline pipeline, String transport) {
        pipeline.addLast(HandlerNames.DECODER, new MqttDecoder(settings.maxPacketSize(), MAX_CLIENT_ID_LENGTH, true));
        pipeline.addLast(HandlerNames.ENCODER, MqttEncoder.INSTANCE);
        pipeline.addLast(HandlerNames.CONNECTION, new MqttConnectionHandler(broker, settings, transport, logBudget,
                keepAliveSweepers, translator));
    }

    public MqttTailSettings settings() {
        return settings;
    }
}
