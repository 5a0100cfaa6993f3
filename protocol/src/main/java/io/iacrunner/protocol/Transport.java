package io.iacrunner.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How agent and CLI reach the server: HTTPS verified against the system's trust store, or against a private CA
 * ({@code --ca-file}); plain HTTP only to a loopback address unless explicitly allowed, because tokens travel in
 * every request.
 */
public record Transport(SSLContext ssl, boolean allowPlainHttp) {
    public static final Transport DEFAULT = new Transport(null, false);

    /** @param caFile PEM certificates to trust instead of the system's; null for the system's */
    public static Transport of(Path caFile, boolean allowPlainHttp) {
        return new Transport(caFile == null ? null : trusting(caFile), allowPlainHttp);
    }

    /** @throws IllegalArgumentException a plain-HTTP server that is not on this machine, and that was not allowed */
    public void check(URI server) {
        String scheme = server.getScheme();
        if ("https".equalsIgnoreCase(scheme)) return;
        if (!"http".equalsIgnoreCase(scheme))
            throw new IllegalArgumentException("the server URL must be https:// or http://, not " + server);
        if (!allowPlainHttp && !isLoopback(server.getHost())) {
            throw new IllegalArgumentException(
                    "refusing plain HTTP to " + server.getHost() + ": tokens would cross the network"
                            + " unencrypted; use https:// (with --ca-file for a private CA), or --allow-plain-http on a network you trust");
        }
    }

    HttpClient client() {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (ssl != null) b.sslContext(ssl);
        return b.build();
    }

    /** Whether {@code host} (a name, an address, or a bracketed IPv6 address) is this machine's loopback. */
    public static boolean isLoopback(String host) {
        if (host == null) return false;
        try {
            String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            return InetAddress.getByName(bare).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static SSLContext trusting(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            Collection<? extends Certificate> certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) throw new IllegalArgumentException(caFile + " holds no PEM certificate");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates) trust.setCertificateEntry("ca-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA file " + caFile, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the CA file " + caFile + " is not usable: " + e.getMessage(), e);
        }
    }
}
