package io.iacrunner.server.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.CancelOrder;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.RunTime;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.pools.PoolStore;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.secrets.SealedJson;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.util.StoreClock;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * All SQL about tasks. Every status change is checked against the transition table and made by one UPDATE that
 * matches the task only while it is still in the status it leaves: the claim (queued to running) in {@link #take},
 * every other change in {@link #move}, whose UPDATE also checks the attempt fence of agent-reported changes. Every
 * write for an agent's running attempt takes the {@link RunningAttempt} that {@link #inAttempt} locked and checks it
 * again in its own SQL.
 */
public final class TaskStore {
    /**
     * An agent's running attempt, locked and checked by {@link #inAttempt}. Only this store makes one, so a write that
     * takes one cannot be called without the check. Each such write checks again in its own SQL ({@link #fenced}): a
     * value kept past its transaction, whose attempt has since been superseded (its lease lost, the task queued again
     * and claimed anew), writes nothing.
     */
    public static final class RunningAttempt {
        private final String taskId;
        private final String workspaceId;
        private final TaskAction action;
        private final int attempt;
        private final String agentId;
        private final long logLines;

        private RunningAttempt(
                String taskId, String workspaceId, TaskAction action, int attempt, String agentId, long logLines) {
            this.taskId = taskId;
            this.workspaceId = workspaceId;
            this.action = action;
            this.attempt = attempt;
            this.agentId = agentId;
            this.logLines = logLines;
        }

        public String taskId() {
            return taskId;
        }

        public String workspaceId() {
            return workspaceId;
        }

        public TaskAction action() {
            return action;
        }

        public int attempt() {
            return attempt;
        }

        public String agentId() {
            return agentId;
        }

        /** The log lines the store held for it when it was locked: where the next append starts. */
        public long logLines() {
            return logLines;
        }

        /**
         * {@code statement} with {@code <still_running>} standing for the condition on a {@code tasks} row that holds
         * only while this is still its running attempt, held by the same agent. SQL that writes for the attempt puts it
         * in its WHERE and passes {@link #requireWritten} what it changed.
         */
        public <S extends SqlStatement<S>> S fenced(S statement) {
            return statement
                    .define(
                            "still_running",
                            "task_id = :fence_task and attempt = :fence_attempt and agent_id = :fence_agent and status = 'running'")
                    .bind("fence_task", taskId)
                    .bind("fence_attempt", attempt)
                    .bind("fence_agent", agentId);
        }

        /** A fenced write that changed no row found the attempt superseded: 409 {@code stale_attempt}. */
        public void requireWritten(int rows) {
            if (rows == 0) throw superseded();
        }

        /** What the sender of a write for a superseded attempt gets. */
        public ApiProblem superseded() {
            return ApiProblem.staleAttempt(taskId, attempt);
        }
    }

    private final Jdbi jdbi;
    private final long maxLogBytes;
    private final SealedJson sealed;
    private final StoreClock clock;
    private final TaskMetrics metrics;
    private final TaskEvents events;
    /** Fair scheduling between organisations (the default), or one first-in-first-out queue (the benchmark's baseline). */
    private volatile boolean fair = true;

    /** Without meters (tests of the store alone). */
    public TaskStore(Jdbi jdbi, long maxLogBytes, SealedJson sealed, StoreClock clock) {
        this(
                jdbi,
                maxLogBytes,
                sealed,
                clock,
                new TaskMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    }

    /**
     * @param maxLogBytes where agents cut an attempt's log with a notice (0: no limit)
     * @param sealed seals sensitive variables on insert and opens them for the claiming agent and the log redactor
     * @param clock the time claims, finishes and leases are recorded and judged by
     * @param metrics what finishes and phase changes are counted into, once committed
     */
    public TaskStore(Jdbi jdbi, long maxLogBytes, SealedJson sealed, StoreClock clock, TaskMetrics metrics) {
        this(jdbi, maxLogBytes, sealed, clock, metrics, TaskEvents.NONE);
    }

    /** As above, telling {@code events} of every status change but the claim, in the change's transaction. */
    public TaskStore(
            Jdbi jdbi, long maxLogBytes, SealedJson sealed, StoreClock clock, TaskMetrics metrics, TaskEvents events) {
        this.events = events;
        this.jdbi = jdbi;
        this.maxLogBytes = maxLogBytes;
        this.sealed = sealed;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Fair scheduling between organisations (true, the default) or plain first in, first out. */
    public TaskStore fairScheduling(boolean on) {
        this.fair = on;
        return this;
    }

    /** A claimed task, and how long it had waited since it was last queued (its attempt's queue-to-start latency). */
    public record Claimed(TaskAssignment assignment, java.time.Duration sinceCreated) {}

    /**
     * A task to queue; the JSON fields other than the variables are already encoded. {@code variables} holds every
     * value the run gets (the workspace's and the task's own); those named in {@code sensitiveNames} are kept only
     * sealed. {@code tfJson} or {@code configArchive} (with its SHA-256), never both. {@code needsConfirmation}: its
     * plan waits for a person; {@code runOptions} (encoded; null: a normal run); {@code applyPlanOf}: the task whose
     * stored plan it applies instead of planning (null: it plans), with that plan's summary ({@code planSummary}).
     */
    public record NewTask(
            String taskId,
            String workspaceId,
            TaskAction action,
            String tfJson,
            byte[] configArchive,
            String configSha256,
            ObjectNode variables,
            List<String> sensitiveNames,
            String terraformVersion,
            String labels,
            String createdBy,
            boolean needsConfirmation,
            String runOptions,
            String applyPlanOf,
            String planSummary) {}

    public TaskView insert(Handle h, NewTask t) {
        Split variables = Split.of(t.variables(), t.sensitiveNames());
        TaskView view = h.createQuery("""
                        insert into tasks (task_id, workspace_id, action, status, tf_json, config_archive, config_sha256,
                                           variables, sealed_variables, terraform_version, labels, sensitive_variables,
                                           created_by, needs_confirmation, run_options, apply_plan_of, plan_summary)
                        values (:id, :ws, :action, 'queued', cast(:tf as jsonb), :archive, :archiveSha, cast(:vars as jsonb),
                                :sealed, :tfv, cast(:labels as jsonb), cast(:sensitive as jsonb), :createdBy,
                                :confirm, cast(:options as jsonb), :applyPlanOf, cast(:summary as jsonb))
                        returning *""")
                .bind("id", t.taskId())
                .bind("ws", t.workspaceId())
                .bind("action", t.action().wireName())
                .bind("tf", t.tfJson())
                .bind("archive", t.configArchive())
                .bind("archiveSha", t.configSha256())
                .bind("vars", Rows.json(variables.plain()))
                .bind(
                        "sealed",
                        variables.sensitive().isEmpty()
                                ? null
                                : sealed.seal(variables.sensitive(), context(t.taskId())))
                .bind("tfv", t.terraformVersion())
                .bind("labels", t.labels())
                .bind("sensitive", Rows.json(t.sensitiveNames()))
                .bind("createdBy", t.createdBy())
                .bind("confirm", t.needsConfirmation())
                .bind("options", t.runOptions())
                .bind("applyPlanOf", t.applyPlanOf())
                .bind("summary", t.planSummary())
                .map(TaskStore::view)
                .one();
        ApplyQueue.moved(h, t.workspaceId(), t.taskId(), t.action(), null, TaskStatus.QUEUED);
        return view;
    }

    /**
     * Refuses, before anything is stored, a task its organisation's queue has no room for (429 {@code
     * org_queue_full}: its {@code max_queued} tasks are queued; the organisation's row is locked so concurrent
     * creates count one after the other), and one no agent could ever run (409 {@code no_pool_can_run}: no pool
     * granted to the workspace, and named by it if it names one, has labels that cover the task's).
     */
    public void admit(Handle h, String workspaceId, String labels) {
        String org = io.iacrunner.server.util.OrgNames.orgOf(workspaceId);
        Integer maxQueued = h.createQuery("select max_queued from organisations where org_id = :o")
                .bind("o", org)
                .mapTo(Integer.class)
                .findOne()
                .orElse(null);
        if (maxQueued != null) {
            // NO KEY UPDATE: creates of the organisation count one after the other, while the KEY SHARE locks that
            // inserting its workspaces takes (their foreign key) do not conflict with it, and cannot deadlock.
            h.createQuery("select 1 from organisations where org_id = :o for no key update")
                    .bind("o", org)
                    .mapTo(Integer.class)
                    .one();
            int queued = h.createQuery("select count(*) from tasks where org_id = :o and status = 'queued'")
                    .bind("o", org)
                    .mapTo(Integer.class)
                    .one();
            if (queued >= maxQueued)
                throw new ApiProblem(
                        429,
                        "org_queue_full",
                        "organisation " + org + " has " + queued + " tasks queued, its limit (max_queued " + maxQueued
                                + "); try again when some have started");
        }
        boolean runnable = h.createQuery("""
                        select exists (select 1 from workspaces w
                            join pool_grants g on g.org_id = w.org_id and (g.workspace_id is null or g.workspace_id = w.workspace_id)
                            join pools p on p.pool_id = g.pool_id
                            where w.workspace_id = :ws and (w.pool_id is null or w.pool_id = p.pool_id)
                              and cast(:labels as jsonb) <@ p.labels)""")
                .bind("ws", workspaceId)
                .bind("labels", labels)
                .mapTo(Boolean.class)
                .one();
        if (!runnable)
            throw ApiProblem.conflict(
                    "no_pool_can_run",
                    "no agent pool of workspace " + workspaceId + " has labels that cover " + labels
                            + ": the task would wait forever (name a pool with ./iac workspace set --pool, or change"
                            + " the labels)");
    }

    /**
     * Queues {@code newTaskId}, a plan_apply that applies the stored plan of {@code planTaskId} instead of planning:
     * the plan task's inputs (configuration, variables with the sensitive ones sealed anew for the new row, version,
     * labels, run mode) and plan summary, so it shows and masks what the reviewed plan does.
     */
    public TaskView insertApplyOf(Handle h, String planTaskId, String newTaskId, String createdBy) {
        NewTask copy = h.createQuery("select * from tasks where task_id = :id")
                .bind("id", planTaskId)
                .map((rs, ctx) -> new NewTask(
                        newTaskId,
                        rs.getString("workspace_id"),
                        TaskAction.PLAN_APPLY,
                        rs.getString("tf_json"),
                        rs.getBytes("config_archive"),
                        rs.getString("config_sha256"),
                        variablesOrEmpty(rs),
                        Rows.strings(rs, "sensitive_variables"),
                        rs.getString("terraform_version"),
                        rs.getString("labels"),
                        createdBy,
                        false,
                        rs.getString("run_options"),
                        planTaskId,
                        rs.getString("plan_summary")))
                .one();
        return insert(h, copy);
    }

    private ObjectNode variablesOrEmpty(ResultSet rs) throws SQLException {
        ObjectNode all = variables(rs);
        return all == null ? WireJson.lenient().createObjectNode() : all;
    }

    /** The task's variables, sensitive ones opened, and which are sensitive: what the log must never show. */
    public record Secrets(ObjectNode variables, List<String> sensitiveNames) {}

    public Optional<Secrets> secrets(String taskId) {
        return jdbi.withHandle(h -> h.createQuery(
                        "select task_id, variables, sealed_variables, sensitive_variables from tasks where task_id = :id")
                .bind("id", taskId)
                .map((rs, ctx) -> new Secrets(variables(rs), Rows.strings(rs, "sensitive_variables")))
                .findOne());
    }

    /**
     * Seals the sensitive values of tasks queued before they were kept sealed (their names were recorded, their
     * values stored plain beside the others). Run at start; each row is done once.
     *
     * @return how many tasks were sealed
     */
    public int sealLegacySecrets() {
        return jdbi.inTransaction(h -> {
            record Legacy(String taskId, ObjectNode variables, List<String> sensitiveNames) {}
            List<Legacy> legacy = h.createQuery("""
                            select task_id, variables, sensitive_variables from tasks
                            where sealed_variables is null and jsonb_array_length(sensitive_variables) > 0 for update""")
                    .map((rs, ctx) -> new Legacy(
                            rs.getString("task_id"),
                            Rows.object(rs, "variables"),
                            Rows.strings(rs, "sensitive_variables")))
                    .list();
            for (Legacy t : legacy) {
                Split variables = Split.of(
                        t.variables() == null ? WireJson.lenient().createObjectNode() : t.variables(),
                        t.sensitiveNames());
                // Sealed even when empty: the row is then done, and not looked at again.
                h.createUpdate(
                                "update tasks set variables = cast(:vars as jsonb), sealed_variables = :sealed where task_id = :id")
                        .bind("vars", Rows.json(variables.plain()))
                        .bind("sealed", sealed.seal(variables.sensitive(), context(t.taskId())))
                        .bind("id", t.taskId())
                        .execute();
            }
            return legacy.size();
        });
    }

    /** A task's variables as stored: the plain ones, and the sensitive ones (those of the names present) to seal. */
    private record Split(ObjectNode plain, ObjectNode sensitive) {
        static Split of(ObjectNode all, List<String> sensitiveNames) {
            ObjectNode plain = all.deepCopy();
            plain.remove(sensitiveNames);
            ObjectNode sensitive = WireJson.lenient().createObjectNode();
            sensitiveNames.forEach(name -> {
                if (all.has(name)) sensitive.set(name, all.get(name));
            });
            return new Split(plain, sensitive);
        }
    }

    /** The associated data of a task's sealed variables: the seal does not open in another task's row. */
    private static String context(String taskId) {
        return "task " + taskId;
    }

    /** The plain variables with the sealed ones opened beside them; null when the task has none. */
    private ObjectNode variables(ResultSet rs) throws SQLException {
        ObjectNode plain = Rows.object(rs, "variables");
        byte[] sealedValues = rs.getBytes("sealed_variables");
        if (sealedValues == null) return plain;
        ObjectNode all = plain == null ? WireJson.lenient().createObjectNode() : plain;
        all.setAll((ObjectNode) sealed.open(sealedValues, context(rs.getString("task_id"))));
        return all;
    }

    public Optional<TaskView> find(String taskId) {
        return jdbi.withHandle(h -> h.createQuery("select * from tasks where task_id = :id")
                .bind("id", taskId)
                .map(TaskStore::view)
                .findOne());
    }

    /** Newest first; {@code visible} null for every workspace. */
    public List<TaskView> list(String org, String workspaceId, java.util.Set<String> visible, int limit) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select * from tasks where org_id = :org and (cast(:ws as text) is null or workspace_id = :ws)
                          and (cast(:everything as boolean) or workspace_id = any(:visible))
                        order by seq desc limit :limit""")
                .bind("org", org)
                .bind("ws", workspaceId)
                .bind("everything", visible == null)
                .bindArray("visible", String.class, visible == null ? List.of() : List.copyOf(visible))
                .bind("limit", limit)
                .map(TaskStore::view)
                .list());
    }

    public boolean isRunningAttempt(String taskId, String agentId, int attempt) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select exists (select 1 from tasks
                            where task_id = :t and agent_id = :a and attempt = :n and status = 'running')""")
                .bind("t", taskId)
                .bind("a", agentId)
                .bind("n", attempt)
                .mapTo(Boolean.class)
                .one());
    }

    /**
     * Queued tasks each pool's agents could take, as the claim decides it: of a workspace the pool is granted to,
     * naming it or no pool, with labels the pool's cover. A task another pool alone may run is not counted.
     */
    public Map<String, Long> queueDepthByPool() {
        return counts("""
                select p.pool_id as k, count(t.task_id) as n from pools p
                left join (tasks t join workspaces w on w.workspace_id = t.workspace_id)
                  on t.status = 'queued' and t.labels <@ p.labels and (w.pool_id is null or w.pool_id = p.pool_id)
                  and exists (select 1 from pool_grants g where g.pool_id = p.pool_id and g.org_id = t.org_id
                              and (g.workspace_id is null or g.workspace_id = t.workspace_id))
                group by p.pool_id""");
    }

    /** Whether the task waits in the queue now: a wake for it is used up once it does not. */
    public boolean isQueued(String taskId) {
        return jdbi.withHandle(
                h -> h.createQuery("select exists (select 1 from tasks where task_id = :t and status = 'queued')")
                        .bind("t", taskId)
                        .mapTo(Boolean.class)
                        .one());
    }

    /** Whether any task waits in the queue: a wake with no task of its own is used up once none does. */
    public boolean anyQueued() {
        return jdbi.withHandle(h -> h.createQuery("select exists (select 1 from tasks where status = 'queued')")
                .mapTo(Boolean.class)
                .one());
    }

    public Map<String, Long> runningByAction() {
        return counts("select action as k, count(*) as n from tasks where status = 'running' group by action");
    }

    /** A query of (k, n) rows as a map. */
    private Map<String, Long> counts(String sql) {
        return jdbi
                .withHandle(h -> h.createQuery(sql)
                        .map((rs, ctx) -> Map.entry(rs.getString("k"), rs.getLong("n")))
                        .list())
                .stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    public List<String> runningOn(Handle h, String agentId) {
        return h.createQuery("select task_id from tasks where agent_id = :a and status = 'running' order by seq")
                .bind("a", agentId)
                .mapTo(String.class)
                .list();
    }

    /** What one pull takes: the attempts it claimed and the cancel orders not yet given to its agent. */
    public record Pull(List<Claimed> claimed, List<CancelOrder> cancels) {}

    /**
     * Claims what fits the agent's free capacity, oldest first, and takes its new cancel orders, in the caller's
     * transaction. The pool's limits are checked here against what the store says the agent runs, not only against
     * what the agent says it has free. The agent row is locked so two pulls of one agent cannot both count the same
     * free slot; SKIP LOCKED lets other agents claim other tasks at the same time without waiting. An agent the store
     * does not know is 404 {@code unknown_agent}.
     *
     * <p>A plan_apply is a candidate only when its workspace is unlocked and it is the oldest queued plan_apply
     * there (per-workspace FIFO: the one its workspace names, {@link ApplyQueue}); claiming it takes the workspace lock
     * in the same transaction. The partial unique index on running plan_applys backs this up in the database itself.
     *
     * <p>{@code accept} is what the agent takes ({@code --accept}): other actions are not even candidates, so an agent
     * that accepts plans only never gets a plan_apply, and one whose turn it is not does not hold up those it takes.
     *
     * <p>A pull is the hottest call there is, and a round trip costs more than the work of most of its statements: the
     * agent's lock reads its pool, the running counts take the cancel orders, and a pull that claims is four
     * statements (three when nothing fits).
     */
    public Pull pull(
            Handle h,
            String agentId,
            int freePlanSlots,
            boolean canTakeApply,
            java.util.Set<TaskAction> accept,
            java.time.Duration lease) {
        // An agent that deregistered or went silent past its lease (its tasks are being recovered) gets nothing,
        // even from a long poll it left waiting. Its pool is read under the same lock: a pull judges by the pool as
        // it is now, also one that waited long.
        var locked = clock.at(h.createQuery("""
                        select a.deregistered_at is null and a.last_seen > <now> - make_interval(secs => :lease) as live,
                            p.*
                        from agents a join pools p on p.pool_id = a.pool_id where a.agent_id = :a for update of a"""))
                .bind("a", agentId)
                .bind("lease", seconds(lease))
                .map((rs, ctx) -> Map.entry(rs.getBoolean("live"), PoolStore.row(rs)))
                .findOne()
                .orElseThrow(() -> ApiProblem.notFound(
                        ErrorCodes.UNKNOWN_AGENT, "agent " + agentId + " is not registered; register again"));
        boolean live = locked.getKey();
        PoolConfig pool = locked.getValue();
        // A statement of its own, after the lock: read committed gives it a snapshot taken once the agent's row
        // is ours, so it sees what a concurrent pull of the same agent claimed. In the locking statement the
        // counts would come from the snapshot before the wait, and two pulls could fill the same free slot.
        List<CancelOrder> cancels = new ArrayList<>();
        var running = h.createQuery("""
                        with cancels as (
                            update tasks set cancel_delivered = true
                            where agent_id = :a and status = 'running' and cancel_requested and not cancel_delivered
                            returning task_id, cancel_force)
                        select count(*) filter (where action = 'plan') as plans,
                               count(*) filter (where action = 'plan_apply') as applies,
                               (select array_agg(task_id order by task_id) from cancels) as cancel_ids,
                               (select array_agg(cancel_force order by task_id) from cancels) as cancel_forces
                        from tasks where agent_id = :a and status = 'running'""")
                .bind("a", agentId)
                .map((rs, ctx) -> {
                    java.sql.Array ids = rs.getArray("cancel_ids");
                    if (ids != null) {
                        String[] id = (String[]) ids.getArray();
                        Boolean[] force =
                                (Boolean[]) rs.getArray("cancel_forces").getArray();
                        for (int i = 0; i < id.length; i++) cancels.add(new CancelOrder(id[i], force[i]));
                    }
                    return new int[] {rs.getInt("plans"), rs.getInt("applies")};
                })
                .one();
        if (!live) return new Pull(List.of(), cancels);
        int plans = running[0];
        int applies = running[1];
        boolean exclusiveApplyRunning = applies > 0 && !pool.allowApplyConcurrent();
        int plansFree = exclusiveApplyRunning || !accept.contains(TaskAction.PLAN)
                ? 0
                : Math.min(freePlanSlots, pool.maxPlanConcurrency() - plans);
        boolean applyFits = accept.contains(TaskAction.PLAN_APPLY)
                && canTakeApply
                && applies == 0
                && (plans == 0 || pool.allowApplyConcurrent());
        int limit = Math.max(plansFree, applyFits ? 1 : 0);
        if (limit <= 0) return new Pull(List.of(), cancels);

        List<String[]> candidates = candidates(h, pool, limit, accept);
        List<String> chosen = WorkspaceLock.stillFree(
                h, candidates, choose(candidates, plansFree, applyFits, pool.allowApplyConcurrent()));
        chosen = chosen.subList(0, Math.min(chosen.size(), poolRoom(h, pool)));
        if (chosen.isEmpty()) return new Pull(List.of(), cancels);
        return new Pull(take(h, agentId, pool, chosen), cancels);
    }

    /** Where the pool's agents may run tasks: whole organisations (workspace_id null) or chosen workspaces. */
    private static final String GRANTS = """
            with grants as (select org_id, workspace_id from pool_grants where pool_id = :pool)
            """;

    /**
     * What a queued task {@code t} of workspace {@code w} must meet to be a candidate for this pool, whatever its action:
     * labels the pool's cover, a workspace naming this pool or none, and a grant.
     */
    private static final String FITS = """
            t.status = 'queued' and t.labels <@ (select labels from pools where pool_id = :pool)
              and (w.pool_id is null or w.pool_id = :pool)
              and exists (select 1 from grants g where g.org_id = t.org_id
                          and (g.workspace_id is null or g.workspace_id = t.workspace_id))""";

    /**
     * The oldest {@code :limit} candidates of {@code scope} (a condition on {@code <org>}, the organisation column of
     * the table scanned), locked: queued plans, and each workspace's next plan_apply ({@link ApplyQueue}) while its
     * workspace may run it (unlocked, or locked by that very task: a confirmed plan; and no local Terraform run holds
     * the lock). Each part is one range scan, in queue order, of a partial index that holds only what it may take
     * ({@code tasks_queued_plans*}, {@code workspaces_claimable_apply*}), so an apply that has to wait, behind a locked
     * workspace or an older apply, is never read; an action the agent does not accept costs nothing either. A
     * workspace's apply is looked up (and locked) per workspace, in a LATERAL subquery that the planner cannot turn
     * into a join: as a join it hashed every queued task to find the few it needs.
     */
    private static String oldest(String columns, String scope) {
        return """
                select * from (select %1$s from tasks t join workspaces w on w.workspace_id = t.workspace_id
                               where t.action = 'plan' and :plans and %2$s and <fits>
                               order by t.seq limit :limit for update of t skip locked) plans
                union all
                select * from (select c.* from workspaces w
                               cross join lateral (select %1$s from tasks t where t.task_id = w.next_apply_task
                                                   and <fits> for update of t skip locked) c
                               where :applies and w.next_apply_task is not null
                                 and (w.lock_task_id is null or w.lock_task_id = w.next_apply_task)
                                 and w.terraform_lock_id is null and %3$s
                               order by w.next_apply_seq limit :limit) applies
                order by seq limit :limit""".formatted(columns, scope.replace("<org>", "t.org_id"), scope.replace("<org>", "w.org_id"));
    }

    private static final String CANDIDATE_COLUMNS = "t.task_id, t.action, t.workspace_id, t.org_id, t.seq";

    /**
     * Fair: the oldest of each organisation the pool serves, each with its organisation's and workspace's weights and
     * quotas (no counting yet). The pool's grants are read in the same statement: one round trip less in a
     * transaction that holds locks.
     */
    private static final String FAIR_CANDIDATES = GRANTS
            + """
            select c.*, og.max_running as org_max_running
            from (select distinct org_id from grants) o
            join organisations og on og.org_id = o.org_id
            cross join lateral (%s) c""".formatted(oldest(CANDIDATE_COLUMNS + ", w.max_plans_running as ws_max_plans", "<org> = o.org_id"));

    /** FIFO (the benchmark's baseline): the oldest of them all. */
    private static final String FIFO_CANDIDATES =
            GRANTS + oldest(CANDIDATE_COLUMNS, "<org> in (select org_id from grants)");

    /**
     * The queued tasks the agent may take, locked (SKIP LOCKED), in the order its free slots go to them: only tasks
     * of workspaces the pool is granted to, naming this pool or none, whose labels the pool's cover. Fair: the
     * oldest {@code limit} of each organisation the pool serves ({@link #oldest}: index range scans, never a sort of
     * the whole queue), ordered by {@link FairShare}; FIFO: the oldest {@code limit} of them all.
     */
    private List<String[]> candidates(Handle h, PoolConfig pool, int limit, java.util.Set<TaskAction> accept) {
        // Every accepted action stays a candidate even when it does not fit now: an older apply that does not fit
        // stops the pick ({@link #choose}), so newer plans cannot keep its agent busy forever.
        boolean[] quota = {false};
        List<FairShare.Candidate> found = h.createQuery(fair ? FAIR_CANDIDATES : FIFO_CANDIDATES)
                .define("fits", FITS)
                .bind("pool", pool.poolId())
                // As many per organisation as the agent has slots: the oldest of each is always looked at, and no
                // more rows are locked from the pullers beside it than it could take from one organisation.
                .bind("limit", limit)
                .bind("plans", accept.contains(TaskAction.PLAN))
                .bind("applies", accept.contains(TaskAction.PLAN_APPLY))
                .map((rs, ctx) -> {
                    if (fair && (rs.getObject("org_max_running") != null || rs.getObject("ws_max_plans") != null))
                        quota[0] = true;
                    return new FairShare.Candidate(
                            rs.getString("task_id"),
                            TaskAction.fromWire(rs.getString("action")),
                            rs.getString("workspace_id"),
                            rs.getString("org_id"),
                            rs.getLong("seq"));
                })
                .list();
        if (found.isEmpty()) return List.of();
        // Candidates of one workspace and no quota: fairness has nothing to weigh, and the oldest go first, as FIFO.
        // Only otherwise are the running tasks counted (and a quota's row locked while counting, so that concurrent
        // claims cannot together pass it): a count costs as many index entries as tasks run, on every claim.
        boolean oneWorkspace =
                found.stream().map(FairShare.Candidate::workspaceId).distinct().count() == 1;
        if (!fair || (oneWorkspace && !quota[0]))
            return found.stream().map(FairShare.Candidate::row).toList();
        Map<String, FairShare.OrgLoad> orgLoads = orgLoads(h, pool.poolId(), found);
        Map<String, FairShare.WorkspaceLoad> workspaceLoads = workspaceLoads(h, found);
        List<FairShare.Candidate> ordered = FairShare.order(found, orgLoads, workspaceLoads);
        return ordered.stream().map(FairShare.Candidate::row).toList();
    }

    /**
     * The candidates' organisations' loads. Those with a {@code max_running} quota are locked first, in one order, so
     * concurrent claims count their running tasks one after the other and cannot together pass it.
     */
    private static Map<String, FairShare.OrgLoad> orgLoads(
            Handle h, String poolId, List<FairShare.Candidate> candidates) {
        List<String> orgs = candidates.stream()
                .map(FairShare.Candidate::orgId)
                .distinct()
                .sorted()
                .toList();
        h.createQuery("""
                        select org_id from organisations where org_id = any(:orgs) and max_running is not null
                        order by org_id for no key update""")
                .bindArray("orgs", String.class, orgs)
                .mapTo(String.class)
                .list();
        Map<String, FairShare.OrgLoad> loads = new java.util.HashMap<>();
        h.createQuery("""
                        select o.org_id, o.weight, o.max_running,
                            (select count(*) from tasks t where t.status = 'running' and t.org_id = o.org_id) as running,
                            (select count(*) from tasks t join agents a on a.agent_id = t.agent_id
                             where t.status = 'running' and t.org_id = o.org_id and a.pool_id = :pool) as on_pool
                        from organisations o where o.org_id = any(:orgs)""")
                .bindArray("orgs", String.class, orgs)
                .bind("pool", poolId)
                .map((rs, ctx) -> java.util.Map.entry(
                        rs.getString("org_id"),
                        new FairShare.OrgLoad(
                                rs.getInt("weight"),
                                rs.getInt("on_pool"),
                                rs.getInt("running"),
                                Rows.nullableInt(rs, "max_running"))))
                .forEach(e -> loads.put(e.getKey(), e.getValue()));
        return loads;
    }

    /** The candidates' workspaces' loads; those with a plan quota are locked first, as organisations are. */
    private static Map<String, FairShare.WorkspaceLoad> workspaceLoads(Handle h, List<FairShare.Candidate> candidates) {
        List<String> workspaces = candidates.stream()
                .map(FairShare.Candidate::workspaceId)
                .distinct()
                .sorted()
                .toList();
        h.createQuery("""
                        select workspace_id from workspaces where workspace_id = any(:ws) and max_plans_running is not null
                        order by workspace_id for no key update""")
                .bindArray("ws", String.class, workspaces)
                .mapTo(String.class)
                .list();
        Map<String, FairShare.WorkspaceLoad> loads = new java.util.HashMap<>();
        h.createQuery("""
                        select w.workspace_id, w.weight, w.max_plans_running,
                            count(t.task_id) as running, count(t.task_id) filter (where t.action = 'plan') as plans
                        from workspaces w
                        left join tasks t on t.status = 'running' and t.org_id = w.org_id and t.workspace_id = w.workspace_id
                        where w.workspace_id = any(:ws)
                        group by w.workspace_id, w.weight, w.max_plans_running""")
                .bindArray("ws", String.class, workspaces)
                .map((rs, ctx) -> java.util.Map.entry(
                        rs.getString("workspace_id"),
                        new FairShare.WorkspaceLoad(
                                rs.getInt("weight"),
                                rs.getInt("running"),
                                rs.getInt("plans"),
                                Rows.nullableInt(rs, "max_plans_running"))))
                .forEach(e -> loads.put(e.getKey(), e.getValue()));
        return loads;
    }

    /**
     * How many more tasks the pool's {@code max_running} lets start now, across all of its agents (unlimited without
     * one). The pool's row is locked first, so concurrent claims by its agents count one after the other and cannot
     * together exceed it; pools without the limit are not locked.
     */
    private static int poolRoom(Handle h, PoolConfig pool) {
        if (pool.maxRunning() == null) return Integer.MAX_VALUE;
        h.createQuery("select 1 from pools where pool_id = :p for update")
                .bind("p", pool.poolId())
                .mapTo(Integer.class)
                .findOne();
        int running =
                h.createQuery("""
                        select count(*) from tasks t join agents a on a.agent_id = t.agent_id
                        where a.pool_id = :p and t.status = 'running'""").bind("p", pool.poolId()).mapTo(Integer.class).one();
        return Math.max(0, pool.maxRunning() - running);
    }

    /**
     * The claim's status change, checked against the transition table like every {@link #move}: each of
     * {@code chosen} that is still queued becomes running, as a new attempt of {@code agentId}, and a plan_apply takes
     * its workspace's lock and hands its turn to the next ({@link ApplyQueue}). A task that is not queued is not taken.
     * One UPDATE for all of them, not a move each: the claim also starts the attempt and reads what the agent needs
     * (the state, the run time limit).
     */
    List<Claimed> take(Handle h, String agentId, PoolConfig pool, List<String> chosen) {
        TaskStatus from = TaskStatus.QUEUED;
        TaskStatus to = TaskStatus.RUNNING;
        requireAllowed(from, to);
        List<Claimed> claimed = clock.at(h.createQuery("""
                        update tasks t set status = :to, attempt = t.attempt + 1, agent_id = :a,
                            -- <now> is clock_timestamp(): when the claim happened, not when its transaction
                            -- began, so start and finish times order correctly across concurrent transactions.
                            started_at = <now>, finished_at = null, phase = null, phase_started_at = null,
                            exit_code = null, message = null,
                            log_lines = 0, log_complete = false, log_sha256 = null,
                            -- An attempt that applies a stored plan keeps that plan's summary: it is what it applies.
                            plan_summary = case when t.apply_plan_of is null then null else t.plan_summary end,
                            agent_lost_at = null, log_incomplete_reason = null
                        from workspaces w
                        left join state_versions s
                            on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        where t.task_id = any(:ids) and t.status = :from and w.workspace_id = t.workspace_id
                        returning t.*, s.state as state_json, coalesce(w.max_run_seconds, :poolMaxRun) as max_run_seconds,
                            extract(epoch from t.started_at - coalesce(t.queued_at, t.created_at)) as queued_seconds"""))
                .bind("to", to.wireName())
                .bind("from", from.wireName())
                .bind("a", agentId)
                .bindArray("ids", String.class, chosen)
                .bind("poolMaxRun", poolMaxRunSeconds(pool))
                .map((rs, ctx) -> new Claimed(
                        assignment(rs, ctx), java.time.Duration.ofNanos((long) (rs.getDouble("queued_seconds") * 1e9))))
                .list();
        for (Claimed c : claimed) {
            TaskAssignment t = c.assignment();
            WorkspaceLock.claimed(h, t.workspaceId(), t.taskId(), t.action());
            ApplyQueue.moved(h, t.workspaceId(), t.taskId(), t.action(), from, to);
            h.afterCommit(() -> metrics.started(t.attempt(), c.sinceCreated()));
        }
        return claimed;
    }

    /** The pool's run time limit as the store holds it; a pool read before V11 has none, and gets the default. */
    private static int poolMaxRunSeconds(PoolConfig pool) {
        return (int) (pool.maxRunTime() == null ? RunTime.POOL_DEFAULT : RunTime.parse(pool.maxRunTime())).toSeconds();
    }

    /**
     * A running task as recovery sees it. {@code agentGone}: its agent deregistered (it will not come back);
     * {@code waitedOut}: its agent was already found lost, longer ago than the lost-apply window.
     */
    public record Running(
            String taskId,
            String workspaceId,
            TaskAction action,
            TaskPhase phase,
            int attempt,
            String agentId,
            boolean cancelRequested,
            boolean agentGone,
            boolean waitedOut) {}

    private static final String RUNNING_COLUMNS = """
            t.task_id, t.workspace_id, t.action, t.phase, t.attempt, t.agent_id, t.cancel_requested""";

    /**
     * Running tasks whose agent's lease ran out (database clock) or that deregistered; locked, skipping busy rows.
     * Silence is counted from {@code since} at the earliest (when this replica's monitor started): while no replica
     * was up, no agent could ping. A task already found lost (an apply waiting for its agent) comes back only once
     * it has waited {@code window}, or when its agent deregisters.
     */
    public List<Running> lockLost(
            Handle h, java.time.Duration lease, java.time.Instant since, java.time.Duration window, int max) {
        return clock.at(h.createQuery("select " + RUNNING_COLUMNS + " " + """
                        , a.deregistered_at is not null as agent_gone,
                          coalesce(t.agent_lost_at < <now> - make_interval(secs => :window), false) as waited_out
                        from tasks t join agents a on a.agent_id = t.agent_id
                        where t.status = 'running'
                          and (a.deregistered_at is not null
                               or greatest(a.last_seen, cast(:since as timestamptz)) < <now> - make_interval(secs => :lease))
                          and (t.agent_lost_at is null or a.deregistered_at is not null
                               or t.agent_lost_at < <now> - make_interval(secs => :window))
                        order by t.seq limit :max for update of t skip locked"""))
                .bind("lease", seconds(lease))
                .bind("since", java.time.OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC))
                .bind("window", seconds(window))
                .bind("max", max)
                .map((rs, ctx) -> running(rs, rs.getBoolean("agent_gone"), rs.getBoolean("waited_out")))
                .list();
    }

    /**
     * Running tasks of {@code agentId} that its heartbeat does not list although they were claimed longer than
     * {@code grace} ago: the agent never got them (its pull reply was lost) or gave them up (it restarted, or lost its
     * own lease while its pings still reached the server). Locked, skipping busy rows.
     */
    public List<Running> lockAbandoned(Handle h, String agentId, List<String> reported, java.time.Duration grace) {
        return clock.at(h.createQuery("select " + RUNNING_COLUMNS + " " + """
                        from tasks t
                        where t.status = 'running' and t.agent_id = :a and t.task_id <> all(:reported)
                          and t.started_at < <now> - make_interval(secs => :grace)
                        order by t.seq for update of t skip locked"""))
                .bind("a", agentId)
                .bindArray("reported", String.class, reported)
                .bind("grace", seconds(grace))
                .map((rs, ctx) -> running(rs, false, false))
                .list();
    }

    /**
     * The running apply whose agent the server cannot hear (it is waited for: {@link #markAgentLost}), locked; empty
     * when the task is not such an apply.
     */
    public Optional<Running> lockUnreachable(Handle h, String taskId) {
        return h.createQuery("select " + RUNNING_COLUMNS + " " + """
                        from tasks t
                        where t.task_id = :t and t.status = 'running' and t.agent_lost_at is not null
                        for update of t""")
                .bind("t", taskId)
                .map((rs, ctx) -> running(rs, false, false))
                .findOne();
    }

    /**
     * The apply keeps running on an agent the server cannot hear: noted (once, with the time) so that it is waited
     * for, not given up; the workspace lock says why it is held.
     */
    public void markAgentLost(Handle h, Running task, String message) {
        int marked = clock.at(h.createUpdate("""
                        update tasks set agent_lost_at = <now>, message = :m
                        where task_id = :t and status = 'running' and attempt = :n and agent_id = :a and agent_lost_at is null"""))
                .bind("m", message)
                .bind("t", task.taskId())
                .bind("n", task.attempt())
                .bind("a", task.agentId())
                .execute();
        if (marked == 1) WorkspaceLock.holdBecause(h, task.taskId(), message);
    }

    /**
     * The agent pings again: its tasks that were waiting for it ({@code reported} by the ping) are its own again, as
     * if nothing had happened. Returns their ids.
     */
    public List<String> agentBack(Handle h, String agentId, List<String> reported) {
        List<String> back = h.createQuery("""
                        update tasks set agent_lost_at = null, message = null
                        where agent_id = :a and status = 'running' and agent_lost_at is not null and task_id = any(:reported)
                        returning task_id""")
                .bind("a", agentId)
                .bindArray("reported", String.class, reported)
                .mapTo(String.class)
                .list();
        for (String taskId : back) WorkspaceLock.holdBecause(h, taskId, WorkspaceLock.HELD_BY_RUNNING_APPLY);
        return back;
    }

    /** Whether the task stored a state version (an apply's upload): what it changed is then recorded. */
    public boolean storedState(Handle h, String taskId) {
        return h.createQuery("select exists (select 1 from state_versions where task_id = :t)")
                .bind("t", taskId)
                .mapTo(Boolean.class)
                .one();
    }

    private static double seconds(java.time.Duration d) {
        return d.toMillis() / 1000.0;
    }

    private static Running running(ResultSet rs, boolean agentGone, boolean waitedOut) throws SQLException {
        return new Running(
                rs.getString("task_id"),
                rs.getString("workspace_id"),
                TaskAction.fromWire(rs.getString("action")),
                TaskPhase.fromWire(rs.getString("phase")),
                rs.getInt("attempt"),
                rs.getString("agent_id"),
                rs.getBoolean("cancel_requested"),
                agentGone,
                waitedOut);
    }

    /** Locks one task row for a user's change (cancel); empty when there is no such task. */
    public Optional<TaskView> lockForUpdate(Handle h, String taskId) {
        return h.createQuery("select * from tasks where task_id = :id for update")
                .bind("id", taskId)
                .map(TaskStore::view)
                .findOne();
    }

    public void requestCancel(Handle h, String taskId, boolean force) {
        h.createUpdate("""
                        update tasks set cancel_requested = true, message = 'cancel requested',
                            -- A force order after a graceful one must reach the agent again.
                            cancel_delivered = cancel_delivered and (cancel_force or not :force),
                            cancel_force = cancel_force or :force
                        where task_id = :id""").bind("id", taskId).bind("force", force).execute();
    }

    /** Every pending cancel order for the agent's running tasks (ping replies repeat them until the task ends). */
    public List<CancelOrder> cancelOrders(Handle h, String agentId) {
        return h.createQuery("""
                        select task_id, cancel_force from tasks
                        where agent_id = :a and status = 'running' and cancel_requested order by seq""")
                .bind("a", agentId)
                .map((rs, ctx) -> new CancelOrder(rs.getString("task_id"), rs.getBoolean("cancel_force")))
                .list();
    }

    /**
     * Oldest first: an apply is taken only as the first pick; plans fill the free plan slots. An apply that does not
     * fit yet stops the pick, so newer plans cannot keep an agent busy forever while an older apply waits for it.
     */
    static List<String> choose(List<String[]> candidates, int plansFree, boolean applyFits, boolean applyConcurrent) {
        List<String> chosen = new ArrayList<>();
        int plans = 0;
        boolean apply = false;
        for (String[] c : candidates) {
            if (TaskAction.fromWire(c[1]) == TaskAction.PLAN_APPLY) {
                if (!applyFits || apply || !chosen.isEmpty()) break;
                chosen.add(c[0]);
                apply = true;
                if (!applyConcurrent) break;
            } else if (plans < plansFree) {
                chosen.add(c[0]);
                plans++;
            }
        }
        return chosen;
    }

    /**
     * The one way into an agent's running attempt, for its uploads (phase, plan summary, log, state, result,
     * hand-back): one transaction, the task row locked and checked to be {@code attempt}, running and held by
     * {@code agentId} (else 404 or 409 {@code stale_attempt}, and {@code work} does not run), then {@code work} with
     * the locked value that every write for the attempt takes.
     */
    public <T> T inAttempt(String taskId, String agentId, int attempt, BiFunction<Handle, RunningAttempt, T> work) {
        return jdbi.inTransaction(h -> work.apply(h, lockRunning(h, taskId, agentId, attempt)));
    }

    /** {@link #inAttempt} for work that returns nothing. */
    public void useAttempt(String taskId, String agentId, int attempt, BiConsumer<Handle, RunningAttempt> work) {
        inAttempt(taskId, agentId, attempt, (h, running) -> {
            work.accept(h, running);
            return null;
        });
    }

    /**
     * Locks the task row and checks that {@code attempt} is the running attempt held by {@code agentId}; anything
     * else is a stale sender and gets 409 without changing anything.
     */
    private RunningAttempt lockRunning(Handle h, String taskId, String agentId, int attempt) {
        var row = h.createQuery("""
                        select task_id, workspace_id, action, status, attempt, agent_id, log_lines
                        from tasks where task_id = :id for update""")
                .bind("id", taskId)
                .map((rs, ctx) -> new Object[] {
                    rs.getString("workspace_id"),
                    rs.getString("action"),
                    rs.getString("status"),
                    rs.getInt("attempt"),
                    rs.getString("agent_id"),
                    rs.getLong("log_lines")
                })
                .findOne()
                .orElseThrow(() -> ApiProblem.notFound("task_not_found", "no task " + taskId));
        boolean current = "running".equals(row[2]) && attempt == (int) row[3] && agentId.equals(row[4]);
        if (!current) throw ApiProblem.staleAttempt(taskId, attempt);
        return new RunningAttempt(
                taskId, (String) row[0], TaskAction.fromWire((String) row[1]), attempt, agentId, (long) row[5]);
    }

    /** Whether the attempt has begun anything the server records: a phase, a log line or a plan summary. */
    public boolean hasBegun(Handle h, RunningAttempt attempt) {
        return attempt.fenced(h.createQuery("""
                        select phase is not null or log_lines > 0 or plan_summary is not null from tasks where <still_running>""")).mapTo(Boolean.class).findOne().orElseThrow(attempt::superseded);
    }

    /**
     * After a task handed back unrun was moved to queued: its attempt number is given back, so it does not count
     * against the retry limit, and it is as if never claimed. The number is reused by the next claim, which is safe:
     * nothing was stored under it ({@link #hasBegun}), and the old job token names the agent it was issued to, which
     * the attempt fence checks.
     */
    public void forgetHandedBackAttempt(Handle h, String taskId) {
        h.createUpdate(
                        "update tasks set attempt = attempt - 1, agent_id = null, started_at = null where task_id = :id and status = 'queued'")
                .bind("id", taskId)
                .execute();
    }

    public void setPlanSummary(Handle h, RunningAttempt attempt, PlanSummary summary) {
        attempt.requireWritten(attempt.fenced(
                        h.createUpdate("update tasks set plan_summary = cast(:summary as jsonb) where <still_running>"))
                .bind("summary", Rows.json(summary))
                .execute());
    }

    public void setPhase(Handle h, RunningAttempt attempt, TaskPhase phase) {
        // The phase it leaves is read in the same statement (the row is locked by the attempt fence): its duration
        // goes into the phase histogram once this commits. The same phase again changes nothing.
        List<PhaseLeft> left = clock.at(attempt.fenced(h.createQuery("""
                                update tasks set phase = :phase, phase_started_at = <now>
                                from (select phase as old_phase, phase_started_at as old_started from tasks
                                      where task_id = :fence_task) old
                                where <still_running> and phase is distinct from :phase
                                returning old.old_phase, extract(epoch from <now> - old.old_started) as seconds""")))
                .bind("phase", phase.wireName())
                .map((rs, ctx) -> new PhaseLeft(rs.getString("old_phase"), rs.getDouble("seconds")))
                .list();
        if (left.isEmpty() && !isRunningAttempt(h, attempt)) throw attempt.superseded();
        left.forEach(p -> phaseEnded(h, attempt.action(), p));
    }

    /** The phase a task left and how long it was in it (null phase: it had none yet). */
    private record PhaseLeft(String phase, double seconds) {}

    private void phaseEnded(Handle h, TaskAction action, PhaseLeft left) {
        if (left.phase() == null) return;
        TaskPhase phase = TaskPhase.fromWire(left.phase());
        java.time.Duration took = java.time.Duration.ofNanos((long) (Math.max(0, left.seconds()) * 1e9));
        h.afterCommit(() -> metrics.phaseEnded(action, phase, took));
    }

    private static boolean isRunningAttempt(Handle h, RunningAttempt attempt) {
        return attempt.fenced(h.createQuery("select count(*) from tasks where <still_running>"))
                        .mapTo(Integer.class)
                        .one()
                > 0;
    }

    /** How many lines of the attempt's log the store holds: where its next append starts. */
    public void setLogLines(Handle h, RunningAttempt attempt, long committed) {
        attempt.requireWritten(attempt.fenced(h.createUpdate("update tasks set log_lines = :n where <still_running>"))
                .bind("n", committed)
                .execute());
    }

    /**
     * The attempt's own report moves it out of running (its result, or a hand-back), fenced by the locked attempt:
     * 409 {@code stale_attempt}, changing nothing, once the attempt has been superseded.
     */
    public TaskView move(Handle h, RunningAttempt attempt, TaskStatus to, Outcome outcome) {
        return changeStatus(h, attempt.taskId(), TaskStatus.RUNNING, to, attempt.agentId(), attempt.attempt(), outcome)
                .orElseThrow(attempt::superseded);
    }

    /**
     * Recovery moves a running task it locked ({@link #lockLost}, {@link #lockAbandoned}, {@link #lockUnreachable})
     * out of running, fenced by the attempt it found there. Empty when that attempt had moved on.
     */
    public Optional<TaskView> move(Handle h, Running task, TaskStatus to, Outcome outcome) {
        return changeStatus(h, task.taskId(), TaskStatus.RUNNING, to, task.agentId(), task.attempt(), outcome);
    }

    /**
     * A planned task has no running attempt either: a person's confirm (to queued) or discard moves it by its status
     * alone, with the row locked by the caller.
     */
    public Optional<TaskView> movePlanned(Handle h, String taskId, TaskStatus to, Outcome outcome) {
        return changeStatus(h, taskId, TaskStatus.PLANNED, to, null, null, outcome);
    }

    /** Who confirmed or discarded a planned task, and what they said; a confirmed one applies its own stored plan. */
    public void recordReview(Handle h, String taskId, String reviewer, String comment, boolean confirmed) {
        clock.at(h.createUpdate("""
                        update tasks set reviewed_by = :by, reviewed_at = <now>, review_comment = :comment,
                            apply_plan_of = case when :confirmed then task_id else apply_plan_of end
                        where task_id = :id"""))
                .bind("by", reviewer)
                .bind("comment", comment)
                .bind("confirmed", confirmed)
                .bind("id", taskId)
                .execute();
    }

    /** A queued task has no attempt to fence: it moves by its status alone (canceled before it started, say). */
    public Optional<TaskView> moveQueued(Handle h, String taskId, TaskStatus to, Outcome outcome) {
        return changeStatus(h, taskId, TaskStatus.QUEUED, to, null, null, outcome);
    }

    /**
     * The one UPDATE behind every {@link #move}: every status change but the claim's ({@link #take}). The transition
     * table ({@link TaskStatus#canMoveTo}) is checked first; the UPDATE then only matches while the task is still
     * {@code from} and, with {@code agentId} and {@code attempt}, still that agent's attempt. Empty means the task had
     * moved on (or the fence did not hold) and nothing was changed. The workspace lock follows the move
     * ({@link WorkspaceLock#moved}), and so does the workspace's next plan_apply ({@link ApplyQueue#moved}).
     */
    private Optional<TaskView> changeStatus(
            Handle h, String taskId, TaskStatus from, TaskStatus to, String agentId, Integer attempt, Outcome outcome) {
        requireAllowed(from, to);
        Optional<TaskView> moved = clock.at(h.createQuery("""
                        update tasks set status = :to,
                            finished_at = case when :terminal then <now> else null end,
                            phase = case when :to = 'queued' then null else phase end,
                            exit_code = :exit, message = :message,
                            log_complete = coalesce(cast(:complete as boolean), log_complete),
                            log_sha256 = coalesce(cast(:sha as text), log_sha256),
                            log_incomplete_reason = cast(:incomplete as text),
                            agent_lost_at = null,
                            queued_at = case when :to = 'queued' then <now> else queued_at end
                        where task_id = :id and status = :from
                          and (cast(:agent as text) is null or agent_id = :agent)
                          and (cast(:attempt as int) is null or attempt = :attempt)
                        returning *, extract(epoch from <now> - phase_started_at) as phase_seconds"""))
                .bind("to", to.wireName())
                .bind("from", from.wireName())
                .bind("id", taskId)
                .bind("terminal", to.isTerminal())
                .bind("exit", outcome.exitCode())
                .bind("message", outcome.message())
                .bind("complete", outcome.logComplete())
                .bind("sha", outcome.logSha256())
                .bind("incomplete", outcome.logIncompleteReason())
                .bind("agent", agentId)
                .bind("attempt", attempt)
                .map((rs, ctx) -> {
                    TaskView task = view(rs, ctx);
                    // Leaving running ends its phase: the last phase's time, for the histogram.
                    if (from == TaskStatus.RUNNING) {
                        phaseEnded(
                                h, task.action(), new PhaseLeft(rs.getString("phase"), rs.getDouble("phase_seconds")));
                    }
                    return task;
                })
                .findOne();
        moved.ifPresent(task -> WorkspaceLock.moved(h, task, from, outcome.lockKeptBecause()));
        moved.ifPresent(task -> ApplyQueue.moved(h, task.workspaceId(), task.taskId(), task.action(), from, to));
        moved.ifPresent(task -> events.moved(h, task));
        moved.filter(task -> to.isTerminal())
                .ifPresent(task -> h.afterCommit(() -> metrics.finished(task.action(), to)));
        return moved;
    }

    /** The transition table's verdict, before any SQL runs: a change it does not allow is a bug, never a race. */
    private static void requireAllowed(TaskStatus from, TaskStatus to) {
        if (!from.canMoveTo(to)) {
            throw new IllegalStateException(
                    "transition " + from.wireName() + " -> " + to.wireName() + " is not allowed");
        }
    }

    /**
     * What a status change records: exit code, a human message, whether the log proved complete and the SHA-256 of
     * what is stored (null: as is), why the log is incomplete (null: it is not, or nobody knows), and, for a
     * plan_apply leaving running, why its workspace must stay locked (null: the lock is released).
     */
    public record Outcome(
            Integer exitCode,
            String message,
            Boolean logComplete,
            String logSha256,
            String logIncompleteReason,
            String lockKeptBecause) {
        public static Outcome of(Integer exitCode, String message) {
            return new Outcome(exitCode, message, null, null, null, null);
        }

        /** The same, keeping the workspace lock with {@code reason}. */
        public Outcome keepingLock(String reason) {
            return new Outcome(exitCode, message, logComplete, logSha256, logIncompleteReason, reason);
        }
    }

    static TaskView view(ResultSet rs, StatementContext ctx) throws SQLException {
        return new TaskView(
                rs.getString("task_id"),
                rs.getString("workspace_id"),
                TaskAction.fromWire(rs.getString("action")),
                TaskStatus.fromWire(rs.getString("status")),
                TaskPhase.fromWire(rs.getString("phase")),
                rs.getInt("attempt"),
                Rows.nullableInt(rs, "exit_code"),
                rs.getString("message"),
                rs.getString("terraform_version"),
                Rows.instant(rs, "created_at"),
                Rows.instant(rs, "started_at"),
                Rows.instant(rs, "finished_at"),
                rs.getString("agent_id"),
                rs.getLong("log_lines"),
                rs.getBoolean("log_complete"),
                rs.getString("log_sha256"),
                Rows.labels(rs, "labels"),
                rs.getBoolean("cancel_requested"),
                Rows.value(rs, "plan_summary", PlanSummary.class),
                rs.getString("created_by"),
                Rows.instant(rs, "agent_lost_at"),
                rs.getString("log_incomplete_reason"),
                rs.getBoolean("needs_confirmation"),
                Rows.value(rs, "run_options", RunOptions.class),
                rs.getString("apply_plan_of"),
                rs.getString("reviewed_by"),
                Rows.instant(rs, "reviewed_at"),
                rs.getString("review_comment"));
    }

    private TaskAssignment assignment(ResultSet rs, StatementContext ctx) throws SQLException {
        return new TaskAssignment(
                rs.getString("task_id"),
                rs.getInt("attempt"),
                rs.getString("workspace_id"),
                TaskAction.fromWire(rs.getString("action")),
                rs.getString("terraform_version"),
                Rows.object(rs, "tf_json"),
                variables(rs),
                Rows.object(rs, "state_json"),
                Rows.strings(rs, "sensitive_variables"),
                maxLogBytes,
                Rows.base64(rs, "config_archive"),
                null,
                null, // the job token is issued by the service, per claim
                rs.getLong("max_run_seconds"),
                Rows.value(rs, "run_options", RunOptions.class),
                rs.getBoolean("needs_confirmation") && rs.getString("apply_plan_of") == null,
                rs.getString("apply_plan_of") != null);
    }
}
