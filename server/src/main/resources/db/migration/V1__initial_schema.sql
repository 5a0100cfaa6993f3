-- Agent pools: the seed's pool settings. The server enforces them when it claims tasks.
create table pools (
    pool_id                text primary key,
    max_plan_concurrency   int not null default 3 check (max_plan_concurrency between 1 and 1000),
    allow_apply_concurrent boolean not null default false,
    labels                 jsonb not null default '{}'::jsonb,
    created_at             timestamptz not null default now()
);
insert into pools (pool_id) values ('default-pool');

-- JWT signing keys (JWK JSON, private part included). Kept in the store so every replica signs and verifies alike.
create table signing_keys (
    kid        text primary key,
    jwk        text not null,
    created_at timestamptz not null default now()
);

create table agents (
    agent_id      text primary key,
    name          text not null,
    pool_id       text not null references pools,
    version       text,
    hostname      text,
    registered_at timestamptz not null default now(),
    -- Set from the database clock on every ping: liveness never depends on an agent's or replica's clock.
    last_seen     timestamptz not null default now(),
    last_ping     jsonb
);

create table workspaces (
    workspace_id          text primary key,
    created_at            timestamptz not null default now(),
    current_state_version int
);

create table tasks (
    task_id           text primary key,
    -- Queue order: first in, first out.
    seq               bigserial not null unique,
    workspace_id      text not null references workspaces,
    action            text not null check (action in ('plan', 'plan_apply')),
    status            text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'canceled', 'errored')),
    phase             text check (phase in ('planning', 'applying')),
    -- Every claim starts a new attempt; uploads carry it and are refused once it is no longer current (fencing).
    attempt           int not null default 0,
    terraform_version text,
    tf_json           jsonb not null,
    variables         jsonb,
    agent_id          text references agents,
    exit_code         int,
    message           text,
    created_at        timestamptz not null default now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    -- Lines of the current attempt committed to log_chunks; the next batch must start here.
    log_lines         bigint not null default 0,
    log_complete      boolean not null default false
);
create index tasks_queued on tasks (seq) where status = 'queued';
create index tasks_running_by_agent on tasks (agent_id) where status = 'running';
create index tasks_by_workspace on tasks (workspace_id, seq);

-- Logs are stored as chunks of consecutive lines, not a row per line: cheap to append and to page.
create table log_chunks (
    task_id    text not null references tasks on delete cascade,
    attempt    int not null,
    first_seq  bigint not null,
    line_count int not null check (line_count > 0),
    lines      text not null,
    primary key (task_id, attempt, first_seq)
);

-- Every state an apply left behind; the workspace points at its current one.
create table state_versions (
    workspace_id text not null references workspaces,
    version      int not null,
    serial       bigint not null,
    lineage      text not null,
    sha256       text not null,
    state        text not null,
    task_id      text references tasks,
    created_at   timestamptz not null default now(),
    primary key (workspace_id, version)
);
