package io.iacrunner.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made by the JDK's keytool (and openssl for the PEM key),
 * as a keystore, a certificate PEM (what clients trust with {@code --ca-file}) and a PKCS#8 key PEM.
 */
public record TestCertificates(Path keystore, String password, Path certificatePem, Path privateKeyPem) {

    public static TestCertificates create(Path dir) throws IOException, InterruptedException {
        String password = "test-keystore-password";
        Path keystore = dir.resolve("server.p12");
        Path cert = dir.resolve("server.pem");
        Path key = dir.resolve("server-key.pem");
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(List.of(
                keytool,
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-keystore",
                keystore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password,
                "-keypass",
                password));
        run(List.of(
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "server",
                "-keystore",
                keystore.toString(),
                "-storepass",
                password,
                "-file",
                cert.toString()));
        Path pkcs12Key = dir.resolve("server-key-pkcs12.pem");
        run(List.of(
                "openssl",
                "pkcs12",
                "-in",
                keystore.toString(),
                "-nocerts",
                "-nodes",
                "-passin",
                "pass:" + password,
                "-out",
                pkcs12Key.toString()));
        run(List.of("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", pkcs12Key.toString(), "-out", key.toString()));
        return new TestCertificates(keystore, password, cert, key);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command.subList(0, 2)) + " failed: " + out);
        }
    }

    public static boolean canCreate() {
        return Files.isExecutable(Path.of(System.getProperty("java.home"), "bin", "keytool"))
                && Files.isExecutable(Path.of("/usr/bin/openssl"));
    }
}
