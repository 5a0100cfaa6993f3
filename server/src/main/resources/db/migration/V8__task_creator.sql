-- Who queued a task: the token's description and id ("ci for web (tok-…)"), as the runs list and task show it.
-- Kept as text: the token may be revoked or deleted later, the record of who queued the run stays.
alter table tasks add column created_by text;
