package io.iacrunner.server.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
