-- Names of variables whose values must never appear in a log; the server masks them again on append.
alter table tasks add column sensitive_variables jsonb not null default '[]'::jsonb;
-- The server's own SHA-256 of the stored log of the current attempt, computed when the agent reports the end.
alter table tasks add column log_sha256 text;
