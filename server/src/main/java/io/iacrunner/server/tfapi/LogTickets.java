package io.iacrunner.server.tfapi;

import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.secrets.SealedValueException;
import io.iacrunner.server.secrets.SecretBox;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * The credential in a plan's or an apply's {@code log-read-url}: Terraform's client fetches that URL without its token
 * (Terraform Cloud's are signed), so the URL carries its own proof, handed only to a caller who may read the run. A
 * ticket is the expiry sealed with the server's secrets key for that one plan or apply id: any replica verifies it, and
 * it opens no other log.
 */
final class LogTickets {
    /** Longer than a run's longest plan and apply: Terraform reads one URL from the plan's start to its end. */
    static final Duration TTL = Duration.ofHours(24);

    private final SecretBox box;
    private final Clock clock;

    LogTickets(SecretBox box, Clock clock) {
        this.box = box;
        this.clock = clock;
    }

    String issue(String logId) {
        byte[] expiry =
                Long.toString(clock.instant().plus(TTL).getEpochSecond()).getBytes(StandardCharsets.UTF_8);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(box.seal(expiry, context(logId)));
    }

    /** 404 for a ticket of another log, a damaged or expired one: as if the URL named nothing. */
    void require(String logId, String ticket) {
        try {
            byte[] expiry = box.open(Base64.getUrlDecoder().decode(ticket), context(logId));
            Instant until = Instant.ofEpochSecond(Long.parseLong(new String(expiry, StandardCharsets.UTF_8)));
            if (clock.instant().isBefore(until)) return;
        } catch (SealedValueException | IllegalArgumentException e) {
            // the same answer as an expired ticket, below
        }
        throw ApiProblem.notFound("log_not_found", "no log at this URL (it may have expired: read the run again)");
    }

    private static String context(String logId) {
        return "tfe-log:" + logId;
    }
}
