package io.iacrunner.server.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.SteppedClock;
import java.time.Duration;
import java.util.Base64;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Verified signatures are remembered (agents send one token for hours); nothing else about a token is. */
class TokensTest {
    private static ExternalServices.FreshDatabase db;
    private static Jdbi jdbi;

    @BeforeAll
    static void store() {
        db = ExternalServices.postgres();
        String password = db.password() == null ? "" : db.password();
        Flyway.configure()
                .dataSource(db.url(), db.user(), password)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        jdbi = Jdbi.create(db.url(), db.user(), password);
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void aTokenVerifiedBeforeIsStillRefusedOnceItExpires() {
        SteppedClock clock = new SteppedClock();
        Tokens tokens = new Tokens(new SigningKeys(jdbi).load(), clock);
        String token = tokens.issueAgent("a-1", "pool", Duration.ofMinutes(10)).token();

        assertThat(tokens.verify(token)).isInstanceOf(Principal.Agent.class);
        assertThat(tokens.verify(token)).as("again, from what was remembered").isInstanceOf(Principal.Agent.class);
        clock.advance(Duration.ofMinutes(10));
        assertThatThrownBy(() -> tokens.verify(token))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401))
                .hasMessageContaining("expired");
    }

    @Test
    void aTokenAlteredAfterTheGenuineOneWasVerifiedIsRefused() {
        Tokens tokens = new Tokens(new SigningKeys(jdbi).load(), new SteppedClock());
        String token = tokens.issueJob("a-1", "t-1", 1, Duration.ofMinutes(10)).token();
        assertThat(tokens.verify(token))
                .isInstanceOfSatisfying(
                        Principal.Job.class, j -> assertThat(j.taskId()).isEqualTo("t-1"));

        String[] parts = token.split("\\.");
        // Another task in the payload, the genuine signature kept.
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), UTF_8).replace("t-1", "t-2");
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(UTF_8))
                + "." + parts[2];
        assertThatThrownBy(() -> tokens.verify(forged))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
        String badSignature =
                parts[0] + "." + parts[1] + "." + (parts[2].charAt(0) == 'A' ? 'B' : 'A') + parts[2].substring(1);
        assertThatThrownBy(() -> tokens.verify(badSignature))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
        assertThat(tokens.verify(token)).as("the genuine one still passes").isInstanceOf(Principal.Job.class);
    }

    @Test
    void aJobTokenIsCheckedByEveryReplicaAndOutlivesARotation() throws Exception {
        SteppedClock clock = new SteppedClock();
        SigningKeys keys = new SigningKeys(jdbi).load();
        String before = new Tokens(keys, clock)
                .issueJob("a-1", "t-1", 1, Duration.ofMinutes(10))
                .token();
        keys.rotate();
        String after = new Tokens(keys, clock)
                .issueJob("a-1", "t-1", 2, Duration.ofMinutes(10))
                .token();

        Tokens otherReplica = new Tokens(new SigningKeys(jdbi).load(), clock);
        assertThat(otherReplica.verify(before))
                .isInstanceOfSatisfying(
                        Principal.Job.class, j -> assertThat(j.attempt()).isEqualTo(1));
        assertThat(otherReplica.verify(after))
                .isInstanceOfSatisfying(
                        Principal.Job.class, j -> assertThat(j.attempt()).isEqualTo(2));
        assertThat(SignedJWT.parse(before).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.HS256);
        assertThat(SignedJWT.parse(after).getHeader().getKeyID())
                .as("signed under the new key")
                .isNotEqualTo(SignedJWT.parse(before).getHeader().getKeyID());
    }

    @Test
    void anHs256TokenThatIsNotAJobTokenOrNotUnderTheJobKeyIsRefused() throws Exception {
        SigningKeys keys = new SigningKeys(jdbi).load();
        Tokens tokens = new Tokens(keys, new SteppedClock());
        com.nimbusds.jose.jwk.ECKey key = keys.current();
        JWTClaimsSet agent = new JWTClaimsSet.Builder()
                .issuer("iac-runner")
                .subject("a-1")
                .claim("iac_typ", "agent")
                .claim("pool", "pool")
                .expirationTime(new java.util.Date(System.currentTimeMillis() + 600_000))
                .build();
        assertThatThrownBy(() -> tokens.verify(hs256(key.getKeyID(), new JobTokenKeys().of(key), agent)))
                .as("an agent token under the job key")
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));

        JWTClaimsSet job = new JWTClaimsSet.Builder(agent)
                .claim("iac_typ", "job")
                .claim("task", "t-1")
                .claim("attempt", 1)
                .build();
        // The classic algorithm confusion: HMAC keyed with what anyone can read, the published public key.
        byte[] publicKey = key.toPublicJWK().toJSONString().getBytes(UTF_8);
        assertThatThrownBy(() -> tokens.verify(hs256(key.getKeyID(), publicKey, job)))
                .as("a job token under the public key")
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
        assertThat(tokens.verify(hs256(key.getKeyID(), new JobTokenKeys().of(key), job)))
                .as("the same claims under the job key pass: the refusals above are the key's and the type's")
                .isInstanceOf(Principal.Job.class);
    }

    private static String hs256(String kid, byte[] secret, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
        jwt.sign(new MACSigner(secret.length >= 32 ? secret : java.util.Arrays.copyOf(secret, 32)));
        return jwt.serialize();
    }
}
