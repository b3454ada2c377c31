package io.tern.netty;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/**
 * The identity a verified TLS client certificate proves: the Common Name of its subject. Set
 * {@link #FROM_CERTIFICATE} on a channel (the TLS listeners do, when configured) to make that
 * identity the MQTT username, as Mosquitto's {@code use_identity_as_username} does.
 */
public final class TlsIdentity {
    public static final AttributeKey<Boolean> FROM_CERTIFICATE = AttributeKey.valueOf("tern.tls.identity");

    private TlsIdentity() {
    }

    /** The certificate's CN, or null when the channel has no verified client certificate or does not use it. */
    public static String of(Channel channel) {
        if (!Boolean.TRUE.equals(ChannelAttributes.peek(channel, FROM_CERTIFICATE))) {
            return null;
        }
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate certificate)) {
                return null;
            }
            return commonName(certificate.getSubjectX500Principal().getName());
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    static String commonName(String distinguishedName) {
        try {
            for (Rdn rdn : new LdapName(distinguishedName).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    String value = rdn.getValue().toString();
                    return value.isEmpty() ? null : value;
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }
}
