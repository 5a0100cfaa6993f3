package io.iacrunner.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Transport;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.TestCertificates;
import io.iacrunner.server.testing.TestServer;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** HTTPS from a keystore or PEM files, verified by clients against a private CA; plain HTTP only where it cannot leak. */
class TransportSecurityTest {
    @TempDir
    static Path dir;

    static TestCertificates certs;

    @BeforeAll
    static void certificates() throws Exception {
        assumeTrue(
                TestCertificates.canCreate(),
                "needs the JDK's keytool and /usr/bin/openssl to make a test certificate");
        certs = TestCertificates.create(dir);
    }

    static Stream<Arguments> servers() {
        return Stream.of(
                Arguments.of("PKCS#12 keystore", (java.util.function.Supplier<ServerConfig.Tls>)
                        () -> ServerConfig.Tls.keystore(certs.keystore(), certs.password())),
                Arguments.of("PEM files", (java.util.function.Supplier<ServerConfig.Tls>)
                        () -> ServerConfig.Tls.pem(certs.certificatePem(), certs.privateKeyPem())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("servers")
    void aClientTrustingThePrivateCaGetsThroughAndNoOtherDoes(
            String kind, java.util.function.Supplier<ServerConfig.Tls> tls) throws Exception {
        try (TestServer server = TestServer.start(c -> c.tls(tls.get()))) {
            URI https = server.baseUrl();
            assertThat(https.getScheme()).isEqualTo("https");
            String token = server.adminToken();

            ApiClient trusting = new ApiClient(https, () -> token, Transport.of(certs.certificatePem(), false));
            assertThat(trusting.get(ApiPaths.WHOAMI, WhoAmI.class).globalAdmin())
                    .isTrue();

            ApiClient systemTrust = new ApiClient(https, () -> token);
            assertThatThrownBy(() -> systemTrust.get(ApiPaths.WHOAMI, WhoAmI.class))
                    .isInstanceOf(ApiException.class)
                    .hasMessageContaining("TLS certificate is not trusted")
                    .hasRootCauseMessage("unable to find valid certification path to requested target");
            URI plain = URI.create("http://" + https.getRawAuthority());
            assertThatThrownBy(() -> new ApiClient(plain, () -> token).get(ApiPaths.WHOAMI, WhoAmI.class))
                    .as("no plain HTTP on the HTTPS port")
                    .isInstanceOf(ApiException.class);

            CompletableFuture<Integer> closed = new CompletableFuture<>();
            WebSocket ws = trusting.openWebSocket(
                            ApiPaths.WS_VIEWER + "?task_id=t-0000000000000000", new WebSocket.Listener() {
                                @Override
                                public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
                                    closed.complete(statusCode);
                                    return null;
                                }
                            })
                    .get(10, TimeUnit.SECONDS);
            assertThat(ws).isNotNull();
            assertThat(closed.get(10, TimeUnit.SECONDS))
                    .as("wss reaches the viewer, which looks the task up")
                    .isEqualTo(4404);
        }
    }

    @Test
    void plainHttpOffLoopbackNeedsAnExplicitYes() throws Exception {
        ServerConfig open = ServerConfig.builder()
                .host("0.0.0.0")
                .port(0)
                .dataDir(dir.resolve("open"))
                .build();
        assertThatThrownBy(() -> IacServer.start(open))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to serve plain HTTP on 0.0.0.0");
        try (IacServer allowed =
                IacServer.start(open.toBuilder().allowPlainHttp(true).build())) {
            assertThat(allowed.baseUrl().getScheme()).isEqualTo("http");
        }
    }

    @Test
    void clientsRefusePlainHttpToAnotherMachineUnlessAllowed() {
        assertThatThrownBy(() -> new ApiClient(URI.create("http://10.1.2.3:8080"), () -> "t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refusing plain HTTP to 10.1.2.3");
        new ApiClient(URI.create("http://10.1.2.3:8080"), () -> "t", Transport.of(null, true));
        new ApiClient(URI.create("http://127.0.0.1:8080"), () -> "t");
        new ApiClient(URI.create("http://[::1]:8080"), () -> "t");
        new ApiClient(URI.create("https://iac.example.com"), () -> "t");
    }
}
