-- Workspace settings and variables. A sensitive value is stored only sealed (AES-256-GCM with the server's secrets
-- key, see server/secrets/SecretBox): exactly one of plain_value and sealed_value is set.
alter table workspaces add column terraform_version text;

create table workspace_variables (
    workspace_id text        not null references workspaces (workspace_id) on delete cascade,
    name         text        not null,
    plain_value  jsonb,
    sealed_value bytea,
    updated_at   timestamptz not null default now(),
    primary key (workspace_id, name),
    constraint workspace_variables_one_value check ((plain_value is null) <> (sealed_value is null))
);

-- A task's sensitive variables (its own and those it took from its workspace when queued) as one sealed JSON
-- object; tasks.variables keeps only the plain ones. Rows written before this migration are sealed by the server at
-- start (TaskSecretsUpgrade), since the key is not available to SQL.
alter table tasks add column sealed_variables bytea;
