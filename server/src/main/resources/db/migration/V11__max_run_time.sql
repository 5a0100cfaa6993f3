-- How long a run may take before its agent stops it and it ends errored: per pool (every pool has one: no run holds
-- a workspace lock forever), per workspace optionally (null: the pool's). In seconds.
alter table pools add column max_run_seconds integer not null default 7200 check (max_run_seconds > 0);
alter table workspaces add column max_run_seconds integer check (max_run_seconds > 0);
