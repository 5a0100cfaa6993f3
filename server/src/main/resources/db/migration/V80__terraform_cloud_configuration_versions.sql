-- Terraform's cloud block uploads a configuration before it creates a run (docs/terraform-cli.md): the upload URL is
-- a capability (Terraform sends no token with it), so only the SHA-256 of its secret is kept; the archive waits here,
-- checked like any configuration archive, until a run takes a copy of it into its task.
create table tfe_configuration_versions (
    cv_id text primary key,
    workspace_id text not null references workspaces (workspace_id) on delete cascade,
    speculative boolean not null,
    upload_secret_sha256 text not null,
    archive bytea,
    created_by text not null,
    created_at timestamptz not null default now()
);
create index tfe_configuration_versions_by_workspace on tfe_configuration_versions (workspace_id, created_at);
