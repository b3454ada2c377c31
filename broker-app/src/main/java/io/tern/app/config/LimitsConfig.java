package io.tern.app.config;

/**
 * Limits that keep one client or address from taking the broker down for everyone else.
 * 0 means unlimited where noted.
 *
 * @param maxConnections                open MQTT connections over all MQTT listeners (0: unlimited)
 * @param maxConnectionsPerAddress      open connections from one IP address, over all listeners (0: unlimited)
 * @param maxConnectionRatePerAddress   new connections per second from one IP address (0: unlimited)
 * @param maxPublishRate                PUBLISH packets per second per client; beyond it reading pauses (0: unlimited)
 */
public record LimitsConfig(int maxConnections, int maxConnectionsPerAddress, int maxConnectionRatePerAddress, int maxPublishRate) {
}
