package io.iacrunner.server.auth;

import io.iacrunner.protocol.WsTicket;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Rows;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * One-time WebSocket tickets: a browser cannot set an Authorization header on a WebSocket, and a long-lived token in a
 * URL ends up in proxy and server logs. A ticket is random, stands for the user token that asked for it, lives
 * {@link #TTL} and is deleted by its first use, so a logged URL is worthless.
 *
 * <p>Tickets live in the store (only their SHA-256), not in a replica's memory: behind a round-robin load balancer the
 * browser asks one replica for a ticket and opens the WebSocket on another. Single use holds across replicas because
 * redeeming is one {@code DELETE … RETURNING}: of two replicas presented the same ticket, exactly one gets the row. The
 * token is checked again on redemption, so a token revoked after its ticket was issued opens nothing.
 */
public final class WsTickets {
    public static final Duration TTL = Duration.ofSeconds(30);
    /** Outstanding tickets at most; expired ones are dropped first. A browser needs one per (re)connect. */
    static final int MAX_OUTSTANDING = 10_000;

    private record Redeemed(String tokenId, Instant expiresAt) {}

    private final SecureRandom random = new SecureRandom();
    private final Jdbi jdbi;
    private final ApiTokens tokens;
    private final Clock clock;
    private final int maxOutstanding;

    public WsTickets(Jdbi jdbi, ApiTokens tokens, Clock clock) {
        this(jdbi, tokens, clock, MAX_OUTSTANDING);
    }

    WsTickets(Jdbi jdbi, ApiTokens tokens, Clock clock, int maxOutstanding) {
        this.jdbi = jdbi;
        this.tokens = tokens;
        this.clock = clock;
        this.maxOutstanding = maxOutstanding;
    }

    public WsTicket issue(Principal.User user) {
        Instant now = clock.instant();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        // What PostgreSQL keeps (microseconds): it would round a finer instant, maybe up, past the real expiry.
        Instant expires = now.plus(TTL).truncatedTo(ChronoUnit.MICROS);
        jdbi.useTransaction(h -> {
            h.createUpdate("delete from ws_tickets where expires_at <= :now")
                    .bind("now", now)
                    .execute();
            int outstanding = h.createQuery("select count(*) from ws_tickets")
                    .mapTo(Integer.class)
                    .one();
            if (outstanding >= maxOutstanding) {
                throw new ApiProblem(
                        429,
                        "too_many_tickets",
                        "too many unused WebSocket tickets; retry in " + TTL.toSeconds() + " s");
            }
            h.createUpdate(
                            "insert into ws_tickets (ticket_sha256, token_id, expires_at) values (:hash, :token, :expires)")
                    .bind("hash", ApiTokens.sha256(ticket))
                    .bind("token", user.tokenId())
                    .bind("expires", expires)
                    .execute();
        });
        return new WsTicket(ticket, expires);
    }

    /** The principal of the ticket's token; the ticket is spent whatever the outcome. Unknown, used or expired: 401. */
    public Principal redeem(String ticket) {
        Optional<Redeemed> redeemed = ticket == null
                ? Optional.empty()
                : jdbi.withHandle(h -> h.createQuery(
                                "delete from ws_tickets where ticket_sha256 = :hash returning token_id, expires_at")
                        .bind("hash", ApiTokens.sha256(ticket))
                        .map((rs, ctx) -> new Redeemed(rs.getString("token_id"), Rows.instant(rs, "expires_at")))
                        .findOne());
        Redeemed entry =
                redeemed.orElseThrow(() -> ApiProblem.unauthorized("unknown or already used WebSocket ticket"));
        if (!clock.instant().isBefore(entry.expiresAt())) throw ApiProblem.unauthorized("WebSocket ticket expired");
        return tokens.verifyId(entry.tokenId());
    }
}
