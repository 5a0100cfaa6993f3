-- Organisations (issue 16): the tenant boundary.
--
-- A workspace's and a pool's key stays one text column, qualified by its organisation: 'ORG/NAME', except in the
-- organisation 'default', whose keys are bare names, as every key was before. Names cannot hold '/', so the
-- qualified key is unambiguous, names are unique per organisation (the key is), and every row that exists today is
-- in 'default' without being rewritten. org_id is generated from the key, so no INSERT (raw SQL in tests and
-- benches among them) can forget or contradict it.
create function iac_org_of(qualified text) returns text language sql immutable parallel safe as $$
    select case when strpos(qualified, '/') > 0 then split_part(qualified, '/', 1) else 'default' end
$$;

create table organisations (
    org_id      text primary key,
    -- Fair scheduling: organisations share a pool's capacity in proportion to their weights.
    weight      int not null default 1 check (weight between 1 and 1000),
    -- Quotas (null: none): the most tasks running at once, the most queued (a create beyond it is refused).
    max_running int check (max_running > 0),
    max_queued  int check (max_queued > 0),
    created_at  timestamptz not null default now()
);
insert into organisations (org_id) values ('default');

alter table workspaces
    add column org_id text generated always as (iac_org_of(workspace_id)) stored references organisations,
    -- The pool its tasks run on (null: any pool granted to it whose labels cover the task's).
    add column pool_id text references pools (pool_id),
    -- Quota: the most plans of this workspace running at once (null: none).
    add column max_plans_running int check (max_plans_running > 0),
    -- Fair scheduling inside an organisation.
    add column weight int not null default 1 check (weight between 1 and 1000);

alter table pools add column org_id text generated always as (iac_org_of(pool_id)) stored references organisations;

-- Which workspaces a pool's agents may run tasks of: every workspace of org_id (workspace_id null), or one.
-- A pool's own organisation is granted when the pool is created; the site admin shares a pool with other ones.
create table pool_grants (
    pool_id      text not null references pools (pool_id) on delete cascade,
    org_id       text not null references organisations on delete cascade,
    workspace_id text references workspaces (workspace_id) on delete cascade
);
create unique index pool_grants_one on pool_grants (pool_id, org_id, coalesce(workspace_id, ''));
insert into pool_grants (pool_id, org_id) select pool_id, org_id from pools;

-- Tasks carry their organisation for the fair claim's per-organisation index scans and the quotas.
alter table tasks add column org_id text generated always as (iac_org_of(workspace_id)) stored;
create index tasks_queued_by_org on tasks (org_id, seq) where status = 'queued';
create index tasks_running_by_org on tasks (org_id, workspace_id) where status = 'running';

-- People. A user belongs to one organisation; tokens belong to users (or are an organisation owner's, or the site
-- admin's, or the per-workspace tokens made before organisations, which keep working in 'default').
create table users (
    org_id     text not null references organisations on delete cascade,
    name       text not null,
    created_at timestamptz not null default now(),
    primary key (org_id, name)
);
create table teams (
    org_id     text not null references organisations on delete cascade,
    name       text not null,
    created_at timestamptz not null default now(),
    primary key (org_id, name)
);
create table team_members (
    org_id    text not null,
    team      text not null,
    user_name text not null,
    primary key (org_id, team, user_name),
    foreign key (org_id, team) references teams on delete cascade,
    foreign key (org_id, user_name) references users on delete cascade
);
-- A team's role on one workspace, or on every workspace of its organisation (workspace_id null).
create table team_grants (
    org_id       text not null,
    team         text not null,
    workspace_id text,
    role         text not null check (role in ('read', 'plan', 'apply', 'admin')),
    foreign key (org_id, team) references teams on delete cascade
);
create unique index team_grants_one on team_grants (org_id, team, coalesce(workspace_id, ''));

alter table api_tokens
    add column org_id    text references organisations on delete cascade,
    add column user_name text,
    add column org_owner boolean not null default false,
    add constraint api_tokens_user foreign key (org_id, user_name) references users on delete cascade,
    add constraint api_tokens_owner_org check (not org_owner or (org_id is not null and kind = 'user'));

-- Audit events name the organisation they happened in (null: site-wide, such as an organisation's creation).
alter table audit_events add column org_id text;
