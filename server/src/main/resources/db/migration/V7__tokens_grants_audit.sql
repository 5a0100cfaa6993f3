-- Opaque API tokens (user and agent-pool tokens): random, shown once, stored as SHA-256 only, listable and revocable.
-- Agent and job credentials stay short-lived JWTs; these are what people hand out.
create table api_tokens (
    token_id      text        primary key,
    kind          text        not null check (kind in ('user', 'pool')),
    secret_sha256 bytea       not null,
    description   text        not null default '',
    global_admin  boolean     not null default false,
    pool_id       text        references pools (pool_id) on delete cascade,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    constraint api_tokens_pool_kind check ((kind = 'pool') = (pool_id is not null)),
    constraint api_tokens_admin_kind check (kind = 'user' or not global_admin)
);

-- A user token's role per workspace. No foreign key: a grant may name a workspace before its first run.
create table token_grants (
    token_id     text not null references api_tokens (token_id) on delete cascade,
    workspace_id text not null,
    role         text not null check (role in ('read', 'plan', 'apply', 'admin')),
    primary key (token_id, workspace_id)
);

-- Security events: who did what to credentials, locks and runs, and failed authentications.
create table audit_events (
    event_id    bigserial   primary key,
    at          timestamptz not null default now(),
    kind        text        not null,
    actor       text        not null,
    subject     text,
    detail      text,
    remote_addr text
);
create index audit_events_at on audit_events (at desc);

