package io.tern.app.config;

import io.tern.netty.TlsSettings;

/**
 * A listener with TLS: its address and its certificate settings.
 *
 * @param configKey where it is configured (e.g. listeners.tls), to name it in errors and logs
 */
public record TlsListenerConfig(String configKey, ListenerConfig listener, TlsSettings tls) {
}
