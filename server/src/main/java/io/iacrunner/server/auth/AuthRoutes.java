package io.iacrunner.server.auth;

import io.iacrunner.protocol.WhoAmI;
import io.javalin.http.Context;
import java.util.Map;

/** HTTP glue for the caller's own identity: who am I, and a one-time ticket for a browser's WebSocket. */
public final class AuthRoutes {
    private final Authenticator auth;
    private final WsTickets tickets;

    public AuthRoutes(Authenticator auth, WsTickets tickets) {
        this.auth = auth;
        this.tickets = tickets;
    }

    public void whoami(Context ctx) {
        ctx.json(describe(auth.any(ctx.header("Authorization"))));
    }

    /** Any valid token gets a ticket; what the ticket may open is checked where it is used, as for the token. */
    public void issueTicket(Context ctx) {
        ctx.status(201).json(tickets.issue(auth.any(ctx.header("Authorization"))));
    }

    /** The principals that exist today: only the admin has rights on workspaces, and on all of them. */
    static WhoAmI describe(Principal principal) {
        return switch (principal) {
            case Principal.Admin a -> new WhoAmI("admin", true, Map.of());
            case Principal.PoolMember p -> new WhoAmI("pool", false, Map.of());
            case Principal.Agent a -> new WhoAmI("agent", false, Map.of());
        };
    }
}
