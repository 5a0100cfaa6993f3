package io.iacrunner.server.tasks;

import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.secrets.SecretBox;
import io.iacrunner.server.util.StoreClock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * All SQL about stored plans: the bundle an attempt uploads at the end of its plan phase, kept sealed with the
 * server's key (a plan file holds variable values and state), with the state it was made from. Opened only for the
 * attempt that applies it.
 */
public final class PlanStore {
    private final Jdbi jdbi;
    private final SecretBox box;
    private final StoreClock clock;

    public PlanStore(Jdbi jdbi, SecretBox box, StoreClock clock) {
        this.jdbi = jdbi;
        this.box = box;
        this.clock = clock;
    }

    /** A stored plan, opened; {@code stateSerial} and {@code stateLineage} null when it was made without state. */
    record Stored(String taskId, byte[] bundle, String sha256, Long stateSerial, String stateLineage) {}

    /** The workspace's current state as a plan is judged against: null serial and lineage for none. */
    record StateMark(Long serial, String lineage) {}

    /** The associated data of a stored plan: the seal does not open in another task's row. */
    private static String context(String taskId) {
        return "plan of task " + taskId;
    }

    /**
     * Stores (or replaces, for a later attempt of the same task) the plan of the running {@code attempt}, fenced in
     * its own SQL like every write for an attempt.
     */
    void save(Handle h, TaskStore.RunningAttempt attempt, byte[] bundle, String sha256, StateMark madeFrom) {
        attempt.requireWritten(clock.at(attempt.fenced(h.createUpdate("""
                        insert into stored_plans (task_id, workspace_id, sealed_bundle, bundle_sha256, state_serial,
                                                  state_lineage, created_at)
                        select task_id, workspace_id, :sealed, :sha, :serial, :lineage, <now> from tasks
                        where <still_running>
                        on conflict (task_id) do update set sealed_bundle = excluded.sealed_bundle,
                            bundle_sha256 = excluded.bundle_sha256, state_serial = excluded.state_serial,
                            state_lineage = excluded.state_lineage, created_at = excluded.created_at""")))
                .bind("sealed", box.seal(bundle, context(attempt.taskId())))
                .bind("sha", sha256)
                .bind("serial", madeFrom.serial())
                .bind("lineage", madeFrom.lineage())
                .execute());
    }

    Optional<Stored> find(Handle h, String taskId) {
        return h.createQuery("select * from stored_plans where task_id = :t")
                .bind("t", taskId)
                .map((rs, ctx) -> new Stored(
                        taskId,
                        box.open(rs.getBytes("sealed_bundle"), context(taskId)),
                        rs.getString("bundle_sha256"),
                        (Long) rs.getObject("state_serial"),
                        rs.getString("state_lineage")))
                .findOne();
    }

    boolean exists(Handle h, String taskId) {
        return h.createQuery("select exists (select 1 from stored_plans where task_id = :t)")
                .bind("t", taskId)
                .mapTo(Boolean.class)
                .one();
    }

    /** The workspace's current state: what a plan must have been made from to be applied now. */
    StateMark currentState(Handle h, String workspaceId) {
        return h.createQuery("""
                        select s.serial, s.lineage from workspaces w
                        left join state_versions s on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        where w.workspace_id = :ws""")
                .bind("ws", workspaceId)
                .map((rs, ctx) -> new StateMark((Long) rs.getObject("serial"), rs.getString("lineage")))
                .one();
    }

    /** Whether {@code plan} was made from the state the workspace holds now. */
    static boolean madeFrom(Stored plan, StateMark current) {
        return Objects.equals(plan.stateSerial(), current.serial())
                && Objects.equals(plan.stateLineage(), current.lineage());
    }

    void delete(Handle h, String taskId) {
        h.createUpdate("delete from stored_plans where task_id = :t")
                .bind("t", taskId)
                .execute();
    }

    /**
     * A planned result needs the plan it stops on: a plan_apply that waits for confirmation, whose plan is stored.
     * Anything else is refused, changing nothing.
     */
    void requireReviewable(Handle h, TaskView task) {
        if (task.action() != TaskAction.PLAN_APPLY || !task.needsConfirmation() || task.applyPlanOf() != null) {
            throw ApiProblem.conflict(
                    "not_reviewable",
                    "task " + task.taskId() + " does not wait for confirmation: it cannot end planned");
        }
        if (!exists(h, task.taskId())) {
            throw ApiProblem.conflict(
                    ErrorCodes.NO_STORED_PLAN,
                    "task " + task.taskId() + " has no stored plan: upload it before reporting planned");
        }
    }

    /** The applying phase of a plan that waits for confirmation is refused: only a confirmed, stored plan applies. */
    public static void requireMayApply(TaskView task) {
        if (task.needsConfirmation() && task.applyPlanOf() == null) {
            throw ApiProblem.conflict(
                    "confirmation_required",
                    "task " + task.taskId() + " waits for confirmation: upload its plan and report planned");
        }
    }

    /**
     * Deletes the stored plans nobody can apply any more: a plan_apply's once it ended, and a plan task's once the
     * state moved on from it or it is older than {@code retention}.
     *
     * @return how many were deleted
     */
    public int purge(Duration retention) {
        return jdbi.withHandle(h -> clock.at(h.createUpdate("""
                        delete from stored_plans p using tasks t, workspaces w
                        left join state_versions s on s.workspace_id = w.workspace_id and s.version = w.current_state_version
                        where t.task_id = p.task_id and w.workspace_id = p.workspace_id
                          and ((t.action = 'plan_apply' and t.status in ('succeeded', 'failed', 'canceled', 'errored', 'discarded'))
                               or (t.action = 'plan' and (p.created_at < <now> - make_interval(secs => :keep)
                                    or s.serial is distinct from p.state_serial or s.lineage is distinct from p.state_lineage)))"""))
                .bind("keep", retention.toMillis() / 1000.0)
                .execute());
    }
}
