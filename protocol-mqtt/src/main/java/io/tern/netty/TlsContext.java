package io.tern.netty;

import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCountUtil;

import javax.net.ssl.SSLEngine;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The TLS context of one listener, replaceable at run time: {@link #reload()} reads the PEM files
 * again (a renewed certificate) and new connections use them; connections already open keep theirs.
 * TLS 1.2 and 1.3 only; BoringSSL when its native library loads, else the JDK.
 */
public final class TlsContext {
    private static final Logger LOG = LoggerFactory.getLogger(TlsContext.class);
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final String name;
    private final TlsSettings settings;
    private final AtomicReference<SslContext> current = new AtomicReference<>();

    /** Builds the context; a bad file fails here, naming {@code name} (the config key prefix). */
    public TlsContext(String name, TlsSettings settings) throws TlsException {
        this.name = name;
        this.settings = settings;
        current.set(build());
        LOG.info("tls_context_loaded listener={} provider={} protocols=TLSv1.3,TLSv1.2 client_certificates={}", name,
                provider(), settings.clientCa() == null ? "off" : settings.requireClientCertificate() ? "required" : "optional");
    }

    public TlsSettings settings() {
        return settings;
    }

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    private SslContext build() throws TlsException {
        SslContextBuilder builder;
        try {
            builder = SslContextBuilder.forServer(settings.certificate().toFile(), settings.privateKey().toFile());
        } catch (IllegalArgumentException e) {
            throw new TlsException(name + ".cert/key: cannot read " + settings.certificate() + " and "
                    + settings.privateKey() + " as a PEM certificate chain and PKCS#8 key (" + rootMessage(e) + ")");
        }
        builder.sslProvider(provider()).protocols(PROTOCOLS);
        if (settings.clientCa() != null) {
            try {
                builder.trustManager(settings.clientCa().toFile());
            } catch (IllegalArgumentException e) {
                throw new TlsException(name + ".client_ca: cannot read " + settings.clientCa()
                        + " as PEM certificates (" + rootMessage(e) + ")");
            }
            builder.clientAuth(settings.requireClientCertificate() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        }
        try {
            return builder.build();
        } catch (Exception e) {
            throw new TlsException(name + ": cannot use the certificate and key " + settings.certificate() + ", "
                    + settings.privateKey() + " (" + rootMessage(e) + ")");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /** Reads the files again; on failure keeps the current context and says why. */
    public boolean reload() {
        try {
            current.set(build());
            LOG.info("tls_reloaded listener={}", name);
            return true;
        } catch (TlsException e) {
            LOG.warn("tls_reload_failed listener={} kept=previous error=\"{}\"", name, e.getMessage());
            return false;
        }
    }

    /** The protocol versions a new connection may negotiate. */
    public List<String> enabledProtocols() {
        SSLEngine engine = current.get().newEngine(ByteBufAllocator.DEFAULT);
        try {
            return List.of(engine.getEnabledProtocols());
        } finally {
            ReferenceCountUtil.release(engine); // OpenSSL engines hold native memory
        }
    }

    /** Puts TLS in front of a new connection's pipeline. */
    public void install(SocketChannel channel) {
        channel.pipeline().addFirst("tls", current.get().newHandler(channel.alloc()));
        if (settings.identityAsUsername()) {
            channel.attr(TlsIdentity.FROM_CERTIFICATE).set(Boolean.TRUE);
        }
    }

    /** A TLS setting that cannot be used; the message names the key and file. */
    public static final class TlsException extends Exception {
        public TlsException(String message) {
            super(message);
        }
    }
}
