-- One-time WebSocket tickets, in the store so that a ticket issued by one replica opens a WebSocket on any other
-- (behind a round-robin load balancer the browser's next request rarely reaches the same replica). Only the SHA-256 of
-- a ticket is kept; the ticket stands for the user token that asked for it, which is checked again when it is used.
create table ws_tickets (
    ticket_sha256 bytea       primary key,
    token_id      text        not null references api_tokens (token_id) on delete cascade,
    expires_at    timestamptz not null
);
create index ws_tickets_expiry on ws_tickets (expires_at);
