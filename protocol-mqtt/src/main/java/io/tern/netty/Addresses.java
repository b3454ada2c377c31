package io.tern.netty;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** How a peer's address is written in logs and used as a key (login throttling, per-IP limits). */
public final class Addresses {
    private Addresses() {
    }

    /** The IP address alone (no port), or the address as text when it is not an IP one. */
    public static String hostOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }
}
