package io.tern.app;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/** Issues throw-away certificates for the TLS tests: a CA, servers for 127.0.0.1, clients by CN. */
final class TestCertificates {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    /** A key and its certificate, signed by {@code issuer} (or self-signed). */
    record Identity(KeyPair keys, X509Certificate certificate) {

        void writePem(Path certFile, Path keyFile) throws IOException {
            Files.writeString(certFile, pem(certificate));
            StringWriter key = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(key)) {
                writer.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
            }
            Files.writeString(keyFile, key.toString());
        }

        /** A client context presenting this identity (may be null) and trusting {@code trusted}. */
        static SSLContext clientContext(Identity presented, X509Certificate trusted) throws Exception {
            KeyManagerFactory kmf = null;
            if (presented != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(presented.keyStore(), new char[0]);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), trustManagers(trusted).getTrustManagers(), null);
            return context;
        }

        KeyStore keyStore() throws Exception {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("key", keys.getPrivate(), new char[0], new X509Certificate[] {certificate});
            return store;
        }
    }

    private TestCertificates() {
    }

    static TrustManagerFactory trustManagers(X509Certificate trusted) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", trusted);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return tmf;
    }

    static String pem(X509Certificate certificate) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        }
        return out.toString();
    }

    static Identity authority(String name) throws Exception {
        KeyPair keys = keyPair();
        return new Identity(keys, sign(new X500Name("CN=" + name), keys, new X500Name("CN=" + name), keys, true, false));
    }

    static Identity server(Identity ca) throws Exception {
        KeyPair keys = keyPair();
        return new Identity(keys, sign(new X500Name("CN=localhost"), keys, subjectOf(ca), ca.keys(), false, true));
    }

    static Identity client(Identity ca, String commonName) throws Exception {
        KeyPair keys = keyPair();
        return new Identity(keys, sign(new X500Name("CN=" + commonName + ",O=Tern tests"), keys, subjectOf(ca), ca.keys(),
                false, false));
    }

    private static X500Name subjectOf(Identity ca) {
        return new X500Name(ca.certificate().getSubjectX500Principal().getName());
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
                                        boolean authority, boolean serverNames) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))), subject, subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
        if (serverNames) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }
}
