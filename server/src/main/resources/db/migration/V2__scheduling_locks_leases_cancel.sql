-- Labels a task requires of the agent's pool (pool labels must contain them all).
alter table tasks add column labels jsonb not null default '{}'::jsonb;

-- Cancel: requested by a user, told to the agent through ping replies and pull responses. cancel_delivered makes a
-- waiting pull return at once for a new order, without spinning on one it already handed out.
alter table tasks add column cancel_requested boolean not null default false;
alter table tasks add column cancel_force boolean not null default false;
alter table tasks add column cancel_delivered boolean not null default false;

-- The workspace lock: held by the running plan_apply, kept after an apply that may have changed resources was lost.
alter table workspaces add column lock_task_id text references tasks (task_id);
alter table workspaces add column lock_reason text;
alter table workspaces add column locked_at timestamptz;

-- A deregistered agent is offline at once and its tasks are recovered.
alter table agents add column deregistered_at timestamptz;

-- One running plan_apply per workspace, as a database guarantee and not only a check in code.
create unique index tasks_one_running_apply_per_workspace on tasks (workspace_id)
    where action = 'plan_apply' and status = 'running';
-- Finding the oldest queued plan_apply of a workspace (per-workspace FIFO).
create index tasks_queued_applies on tasks (workspace_id, seq) where action = 'plan_apply' and status = 'queued';
