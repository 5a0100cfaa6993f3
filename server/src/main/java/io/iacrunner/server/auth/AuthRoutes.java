package io.iacrunner.server.auth;

import io.javalin.http.Context;

/** HTTP glue for a browser's WebSocket: a one-time ticket that stands for the user token that asked for it. */
public final class AuthRoutes {
    private final Authenticator auth;
    private final WsTickets tickets;

    public AuthRoutes(Authenticator auth, WsTickets tickets) {
        this.auth = auth;
        this.tickets = tickets;
    }

    /** What the ticket may open is checked where it is used, exactly as for the token itself. */
    public void issueTicket(Context ctx) {
        ctx.status(201).json(tickets.issue(auth.user(ctx.header("Authorization"))));
    }
}
