package io.iacrunner.server;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.secrets.SecretBox;
import io.javalin.Javalin;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every start does anyway and needs no store for, done once on a thread of its own while the store starts (an
 * embedded PostgreSQL takes most of a second in which the JVM only waits): the first use of the token signatures
 * (ES256, HS256), of sealing (AES-GCM), of the JSON mapper and of Javalin loads and initialises their classes and
 * providers. Nothing it makes is kept; should it fail, the real first use pays that time again, as it did before.
 */
final class StartupWarmup {
    private static final Logger log = LoggerFactory.getLogger(StartupWarmup.class);

    private StartupWarmup() {}

    static void startInBackground() {
        Thread.ofPlatform().daemon().name("iac-warmup").start(StartupWarmup::run);
    }

    private static void run() {
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("warm-up").generate();
            SignedJWT signed = new SignedJWT(
                    new JWSHeader(JWSAlgorithm.ES256),
                    new JWTClaimsSet.Builder().subject("warm-up").build());
            signed.sign(new ECDSASigner(key));
            SignedJWT.parse(signed.serialize()).verify(new ECDSAVerifier(key.toECPublicKey()));
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            SignedJWT mac = new SignedJWT(
                    new JWSHeader(JWSAlgorithm.HS256),
                    new JWTClaimsSet.Builder().subject("warm-up").build());
            mac.sign(new MACSigner(secret));
            mac.verify(new MACVerifier(secret));
            SecretBox box = new SecretBox(secret);
            box.open(box.seal("warm-up".getBytes(StandardCharsets.UTF_8), "warm-up"), "warm-up");
            WireJson.strict().readTree(WireJson.lenient().writeValueAsBytes(Map.of("warm", "up")));
            Javalin.create();
        } catch (Exception | LinkageError e) {
            log.debug("start-up warm-up failed; the first real use pays for it", e);
        }
    }
}
