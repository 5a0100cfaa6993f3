package io.iacrunner.server.web;

import io.iacrunner.server.settings.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The HTTPS connector: the certificate from a PKCS#12 keystore, or from PEM files (a certificate chain and an
 * unencrypted PKCS#8 key, as {@code openssl pkcs8 -topk8 -nocrypt} writes it; RSA or EC).
 */
public final class TlsConnector {
    private static final char[] IN_MEMORY_PASSWORD = "in-memory".toCharArray();

    private TlsConnector() {}

    public static ServerConnector create(
            Server server, HttpConfiguration http, ServerConfig.Tls tls, String host, int port) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        if (tls.keystore() != null) {
            ssl.setKeyStorePath(tls.keystore().toAbsolutePath().toString());
            ssl.setKeyStoreType("PKCS12");
            ssl.setKeyStorePassword(tls.keystorePassword() == null ? "" : tls.keystorePassword());
        } else {
            ssl.setKeyStore(fromPem(tls.certificatePem(), tls.privateKeyPem()));
            ssl.setKeyStorePassword(new String(IN_MEMORY_PASSWORD));
        }
        // Clients reach the server by whatever name or address they were given; the certificate's names are theirs to
        // check.
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        ServerConnector connector =
                new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    static KeyStore fromPem(Path certificatePem, Path privateKeyPem) {
        try (InputStream certificates = Files.newInputStream(certificatePem)) {
            List<? extends Certificate> chain =
                    List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(certificates));
            if (chain.isEmpty()) throw new IllegalStateException(certificatePem + " holds no PEM certificate");
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(
                    "server", privateKey(privateKeyPem), IN_MEMORY_PASSWORD, chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + certificatePem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "the TLS certificate " + certificatePem + " is not usable: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalStateException(pem + " must hold an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----);"
                    + " convert one with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        byte[] der =
                Base64.getMimeDecoder().decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // not this algorithm; try the next
            }
        }
        throw new IllegalStateException(pem + " holds a PKCS#8 key that is not RSA, EC or Ed25519");
    }
}
