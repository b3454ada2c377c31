package io.tern.netty;

import java.nio.file.Path;

/**
 * TLS for one listener: PEM files, read again on every reload.
 *
 * @param certificate              server certificate chain (PEM)
 * @param privateKey               its private key (PEM, PKCS#8)
 * @param clientCa                 CA certificates (PEM) that client certificates must chain to, or null for no mTLS
 * @param requireClientCertificate with {@code clientCa}: refuse clients without a valid certificate
 *                                 (false: ask for one, accept none)
 * @param identityAsUsername       use a verified client certificate's CN as the MQTT username
 */
public record TlsSettings(Path certificate, Path privateKey, Path clientCa, boolean requireClientCertificate,
                          boolean identityAsUsername) {
}
