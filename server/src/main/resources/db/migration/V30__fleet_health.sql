-- What an agent's last ping said, as columns the agent list and the metrics read (last_ping keeps the whole body):
-- its load (fractions of what it may use: its container's limits, else the machine's), its plan slots (the limit it
-- adapts to its load, and why), and what it runs.
alter table agents
    add column cpu_usage      double precision,
    add column mem_usage      double precision,
    add column plan_limit     integer,
    add column plan_slots     integer,
    add column slots_reason   text,
    add column busy           boolean,
    add column plans_running  integer,
    add column apply_running  boolean;

-- Per pool: the oldest agent version allowed to register and ping (null: any), and the most tasks running on all of
-- its agents together (null: no limit beyond each agent's own).
alter table pools
    add column min_agent_version text,
    add column max_running       integer check (max_running > 0);

-- When the task entered its current phase: the run duration histograms by phase are measured from it.
alter table tasks add column phase_started_at timestamptz;

-- When the task was last queued: at creation (null: created_at), and again when a lost attempt is queued anew. The
-- queue-to-start histogram measures every attempt from it.
alter table tasks add column queued_at timestamptz;
