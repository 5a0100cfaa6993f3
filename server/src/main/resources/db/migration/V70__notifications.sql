-- Notifications (issue 17): per-workspace webhook destinations and the outbox they are delivered from.

-- Where a workspace's events go. The signing secret is sealed with the server's secrets key, as sensitive variables
-- are ("notification destination D" authenticated as associated data).
create table notification_destinations (
    destination_id text primary key,
    workspace_id   text not null references workspaces (workspace_id),
    url            text not null,
    events         text[] not null,
    sealed_secret  bytea not null,
    created_by     text,
    created_at     timestamptz not null default now()
);
create index notification_destinations_by_workspace on notification_destinations (workspace_id, created_at);

-- One row per event and destination, written in the transaction of the status change it reports, so a crash never
-- loses one; delivered from here by every replica (claimed_until fences a row a replica is sending). It is the
-- delivery log as well: status pending, delivered or failed (given up an hour after the event).
create table notification_outbox (
    delivery_id      text primary key,
    destination_id   text not null references notification_destinations (destination_id) on delete cascade,
    workspace_id     text not null references workspaces (workspace_id),
    task_id          text not null references tasks (task_id),
    event            text not null,
    payload          text not null, -- the JSON body exactly as it is sent and signed (jsonb would reorder it)
    status           text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts         int not null default 0,
    last_status_code int,
    last_error       text,
    created_at       timestamptz not null,
    next_attempt_at  timestamptz not null,
    claimed_until    timestamptz,
    delivered_at     timestamptz
);
create index notification_outbox_due on notification_outbox (next_attempt_at) where status = 'pending';
create index notification_outbox_by_workspace on notification_outbox (workspace_id, created_at desc);
