-- Plan review and approval (issue 17).

-- Whether a plan_apply applies its plan without waiting for a person. Workspaces that exist now keep today's
-- behaviour (on); workspaces created from now on get the server's --auto-apply-default (off unless set).
alter table workspaces add column auto_apply boolean not null default true;
alter table workspaces alter column auto_apply set default false;

-- Two new statuses: planned (the plan waits for confirmation, holding the workspace lock) and discarded.
alter table tasks drop constraint tasks_status_check;
alter table tasks add constraint tasks_status_check
    check (status in ('queued', 'running', 'planned', 'succeeded', 'failed', 'canceled', 'errored', 'discarded'));

-- Fixed when the task is queued: whether its plan waits for confirmation (the workspace's auto_apply off, or a
-- destroy), and the run mode passed to terraform plan (destroy, refresh_only, targets, replaces; null: a normal run).
alter table tasks add column needs_confirmation boolean not null default false;
alter table tasks add column run_options jsonb;
-- The task whose stored plan this task's next attempt applies instead of planning: itself once confirmed, the
-- reviewed plan task for ./iac task apply. Null: it plans. Deferred: an export lists tasks in no particular order, and
-- the import checks the reference when its transaction commits.
alter table tasks add column apply_plan_of text references tasks (task_id) deferrable initially deferred;
-- Who confirmed or discarded the plan, when, and what they said.
alter table tasks add column reviewed_by text;
alter table tasks add column reviewed_at timestamptz;
alter table tasks add column review_comment text;

-- A plan as the agent uploaded it at the end of its plan phase (the plan file, the lock file and the configuration
-- it was made from), sealed with the server's secrets key: a plan file holds variable values and state. Kept with
-- the state it was made from (serial and lineage; null for a workspace without state), which must still be the
-- workspace's current state when the plan is handed out to be applied.
create table stored_plans (
    task_id       text primary key references tasks (task_id),
    workspace_id  text not null references workspaces (workspace_id),
    sealed_bundle bytea not null,
    bundle_sha256 text not null,
    state_serial  bigint,
    state_lineage text,
    created_at    timestamptz not null default now()
);
-- Sealed bytes do not compress: storing them as they are spares PostgreSQL the attempt.
alter table stored_plans alter column sealed_bundle set storage external;
create index stored_plans_by_age on stored_plans (created_at);
