package io.tern.mqtt;

/**
 * Protocol limits of the MQTT tail.
 *
 * @param maxPacketSize          largest packet accepted, fixed header included; advertised as
 *                               Maximum Packet Size in v5 CONNACK
 * @param connectTimeoutMillis   a socket that sends no CONNECT within this is closed
 * @param receiveMaximum         inbound QoS 2 messages a client may have unreleased (v5 Receive Maximum);
 *                               also its acknowledgements waiting for storage before reading pauses
 * @param topicAliasMaximum      inbound topic aliases accepted per connection (0 disables)
 * @param serverKeepAliveSeconds if positive, overrides the client's keep alive (v5 Server Keep Alive)
 * @param maxKeepAliveSeconds    a larger (or zero) client keep alive is lowered to this for v5 clients
 * @param responseInformationPrefix sent as Response Information (prefix + client id) when a v5
 *                               client requests it; empty disables
 * @param maxPublishRate         PUBLISH packets per second per connection before reading pauses (0: unlimited)
 */
public record MqttTailSettings(
        int maxPacketSize,
        long connectTimeoutMillis,
        int receiveMaximum,
        int topicAliasMaximum,
        int serverKeepAliveSeconds,
        int maxKeepAliveSeconds,
        String responseInformationPrefix,
        int maxPublishRate) {

    public MqttTailSettings(int maxPacketSize, long connectTimeoutMillis, int receiveMaximum, int topicAliasMaximum,
                            int serverKeepAliveSeconds, int maxKeepAliveSeconds, String responseInformationPrefix) {
        this(maxPacketSize, connectTimeoutMillis, receiveMaximum, topicAliasMaximum, serverKeepAliveSeconds,
                maxKeepAliveSeconds, responseInformationPrefix, 0);
    }

    public static MqttTailSettings defaults() {
        return new MqttTailSettings(1024 * 1024, 10_000, 1024, 64, 0, 65_535, "", 0);
    }

    public MqttTailSettings withMaxPublishRate(int perSecond) {
        return new MqttTailSettings(maxPacketSize, connectTimeoutMillis, receiveMaximum, topicAliasMaximum,
                serverKeepAliveSeconds, maxKeepAliveSeconds, responseInformationPrefix, perSecond);
    }
}
