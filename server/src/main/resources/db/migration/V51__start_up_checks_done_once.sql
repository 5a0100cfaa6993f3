-- Work a server used to do on every start, scanning every task, is done once and recorded here instead.
-- store_upgrades: one-time data upgrades (the step's name, and when it ran).
create table store_upgrades (
    step    text        primary key,
    done_at timestamptz not null default now()
);

-- The id of the secrets key the store's values are sealed with: a starting server compares its own key with this
-- one row instead of reading every sealed value. Recorded by the first server that starts with this table (after it
-- checked every sealed value once).
create table secrets_key (
    only_row boolean primary key default true check (only_row),
    key_id   text    not null
);
