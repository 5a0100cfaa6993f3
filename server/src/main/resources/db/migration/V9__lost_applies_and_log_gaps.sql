-- An apply whose agent stopped pinging is no longer given up at once: the agent keeps running it and delivers its
-- log, state and outcome when it can reach a server again. agent_lost_at records since when the server has not heard
-- from that agent (null while it pings); the task stays running, fenced to its attempt, until the agent is back or
-- the lost-apply window runs out (then errored, the workspace kept locked).
alter table tasks add column agent_lost_at timestamptz;

-- Why a finished task's log is incomplete (lines the agent could not keep, a store that differs from the agent's
-- proof); null when the log is complete or the reason is unknown.
alter table tasks add column log_incomplete_reason text;
