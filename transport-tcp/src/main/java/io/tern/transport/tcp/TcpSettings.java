package io.tern.transport.tcp;

/**
 * @param host           address to bind
 * @param port           port to bind; 0 picks a free one (tests)
 * @param maxConnections connections beyond this are closed on accept
 */
public record TcpSettings(String host, int port, int maxConnections) {
}
