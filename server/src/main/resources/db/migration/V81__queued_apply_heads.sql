-- Each workspace's next plan_apply (issue 20): the oldest of its queued plan_applies, the only one the claim may take
-- (per-workspace FIFO), kept on the workspace row by the task store whenever a plan_apply enters or leaves 'queued'
-- (tasks/ApplyQueue). The claim then reads applies from the workspaces that may run theirs now, by a partial index,
-- instead of walking every queued plan_apply and dropping those whose workspace is locked or that are not first:
-- 10,000 applies queued behind locked workspaces cost a pull nothing. No foreign key: it is derived from tasks, and an
-- import copies workspaces before their tasks (store/StoreTransfer).
alter table workspaces
    add column next_apply_task text,
    add column next_apply_seq bigint;

update workspaces w set next_apply_task = h.task_id, next_apply_seq = h.seq
from (select distinct on (workspace_id) workspace_id, task_id, seq from tasks
      where action = 'plan_apply' and status = 'queued' order by workspace_id, seq) h
where h.workspace_id = w.workspace_id;

-- Workspaces whose next plan_apply may be claimed: unlocked, or locked by that very task (a confirmed plan whose apply
-- is queued), and no local Terraform run holding the lock. Per organisation for the fair claim, in queue order for FIFO.
create index workspaces_claimable_apply_by_org on workspaces (org_id, next_apply_seq)
    where next_apply_task is not null and (lock_task_id is null or lock_task_id = next_apply_task)
      and terraform_lock_id is null;
create index workspaces_claimable_apply on workspaces (next_apply_seq)
    where next_apply_task is not null and (lock_task_id is null or lock_task_id = next_apply_task)
      and terraform_lock_id is null;

-- Queued plans alone, so that no queued plan_apply is walked on the way to them.
create index tasks_queued_plans_by_org on tasks (org_id, seq) where status = 'queued' and action = 'plan';
create index tasks_queued_plans on tasks (seq) where status = 'queued' and action = 'plan';
