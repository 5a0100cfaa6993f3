package io.iacrunner.server.auth;

import io.iacrunner.protocol.WsTicket;
import io.iacrunner.server.problems.ApiProblem;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-time WebSocket tickets: a browser cannot set an Authorization header on a WebSocket, and a long-lived token in a
 * URL ends up in proxy and server logs. A ticket is random, stands for the principal that asked for it, lives
 * {@link #TTL} and is taken out of the map by its first use, so a logged URL is worthless.
 *
 * <p>Held in this replica's memory: with several replicas, a ticket opens a WebSocket only on the replica that issued
 * it (elsewhere it is unknown: refused, never accepted). A replicated deployment needs sticky sessions for the UI or
 * the tickets in the store.
 */
public final class WsTickets {
    public static final Duration TTL = Duration.ofSeconds(30);
    /** Outstanding tickets at most; expired ones are dropped first. A browser needs one per (re)connect. */
    static final int MAX_OUTSTANDING = 10_000;

    private record Entry(Principal principal, Instant expiresAt) {}

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Entry> outstanding = new ConcurrentHashMap<>();
    private final Clock clock;

    public WsTickets(Clock clock) {
        this.clock = clock;
    }

    public WsTicket issue(Principal principal) {
        Instant now = clock.instant();
        if (outstanding.size() >= MAX_OUTSTANDING) outstanding.values().removeIf(e -> !now.isBefore(e.expiresAt()));
        if (outstanding.size() >= MAX_OUTSTANDING) {
            throw new ApiProblem(
                    429, "too_many_tickets", "too many unused WebSocket tickets; retry in " + TTL.toSeconds() + " s");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant expires = now.plus(TTL);
        outstanding.put(ticket, new Entry(principal, expires));
        return new WsTicket(ticket, expires);
    }

    /** The ticket's principal; the ticket is spent whatever the outcome. Unknown, used or expired: 401. */
    public Principal redeem(String ticket) {
        Entry entry = ticket == null ? null : outstanding.remove(ticket);
        if (entry == null) throw ApiProblem.unauthorized("unknown or already used WebSocket ticket");
        if (!clock.instant().isBefore(entry.expiresAt())) throw ApiProblem.unauthorized("WebSocket ticket expired");
        return entry.principal();
    }
}
