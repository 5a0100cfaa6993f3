-- A version written by `state rollback` records which version's content it restores (task_id is null then).
alter table state_versions add column rollback_of int;

-- What the current attempt's plan would do (PlanSummary as JSON), reported by the agent after it planned.
alter table tasks add column plan_summary jsonb;
