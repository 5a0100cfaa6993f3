-- How an agent isolates its tasks ('sandbox' or 'none'), as it said at registration and says on every ping; null for
-- an agent that does not say. './iac agents' and the web UI show agents that run tasks without a sandbox.
alter table agents add column isolation text check (isolation in ('sandbox', 'none'));
