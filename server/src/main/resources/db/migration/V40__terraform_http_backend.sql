-- Terraform's own CLI as a client (the `http` state backend). A local Terraform run holds the workspace lock by the
-- lock ID Terraform made up, with the lock info it sent (returned to whoever meets the lock); a running plan_apply holds
-- it by lock_task_id. One holder at a time: the lock is one lock, whoever takes it.
alter table workspaces add column terraform_lock_id text;
alter table workspaces add column terraform_lock_info text;
alter table workspaces add constraint workspaces_one_lock_holder
    check (lock_task_id is null or terraform_lock_id is null);

-- A state version no task wrote: a local `terraform apply`, `terraform state push` or `./iac state push`; who sent it.
alter table state_versions add column pushed_by text;
