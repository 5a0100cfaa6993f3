package io.iacrunner.server.workspaces;

import io.iacrunner.protocol.Weights;
import io.iacrunner.protocol.WorkspaceList;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;
import io.iacrunner.server.util.RunTimeFormat;
import io.iacrunner.server.util.Signals;
import io.iacrunner.server.util.TerraformVersionFormat;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Workspaces as users see them: the lock and its holder, the current state version; the forced unlock. */
public final class WorkspaceService {
    private static final Logger log = LoggerFactory.getLogger(WorkspaceService.class);

    private final Jdbi jdbi;
    private final WorkspaceStore workspaces;
    private final Signals<String> queueSignals;
    private final String queueKey;
    private final LostApplies lostApplies;

    /**
     * Ends a lock holder that cannot end by itself: a running apply whose agent is unreachable. Declared here and
     * implemented by the tasks feature, which owns status changes, so workspaces need not depend on it.
     */
    public interface LostApplies {
        /** Ends {@code taskId} errored with {@code reason} if its agent is unreachable; false when it is not. */
        boolean giveUp(Handle h, String taskId, String reason);
    }

    /**
     * @param queueKey the signal that wakes waiting pulls: an unlock may let a queued plan_apply go
     * @param lostApplies gives up the apply holding a lock when its agent is unreachable and a person unlocks by force
     */
    public WorkspaceService(
            Jdbi jdbi,
            WorkspaceStore workspaces,
            Signals<String> queueSignals,
            String queueKey,
            LostApplies lostApplies) {
        this.jdbi = jdbi;
        this.workspaces = workspaces;
        this.queueSignals = queueSignals;
        this.queueKey = queueKey;
        this.lostApplies = lostApplies;
    }

    /** @param visible the workspaces of {@code org} the caller may read; null for all */
    public WorkspaceList list(String org, int limit, java.util.Set<String> visible) {
        if (limit < 1 || limit > 1000) throw ApiProblem.badRequest("invalid_limit", "limit must be 1..1000");
        return new WorkspaceList(workspaces.list(org, limit, visible));
    }

    public WorkspaceView get(String workspaceId) {
        Ids.requireWorkspaceId(workspaceId);
        return workspaces.find(workspaceId).orElseThrow(() -> notFound(workspaceId));
    }

    /** Creates the workspace with the defaults if it is new (Terraform's {@code cloud} block names a new one). */
    public WorkspaceView create(String workspaceId) {
        Ids.requireWorkspaceId(workspaceId);
        jdbi.useTransaction(h -> workspaces.ensure(h, workspaceId));
        return get(workspaceId);
    }

    /** Replaces the workspace's settings, creating the workspace if it is new. */
    public WorkspaceView update(String workspaceId, WorkspaceSettings settings) {
        Ids.requireWorkspaceId(workspaceId);
        TerraformVersionFormat.require(settings.terraformVersion());
        java.time.Duration maxRunTime = RunTimeFormat.parse(settings.maxRunTime());
        if (settings.maxPlansRunning() != null
                && (settings.maxPlansRunning() < 0 || settings.maxPlansRunning() > 100_000)) {
            throw ApiProblem.badRequest(
                    "invalid_max_plans_running", "max_plans_running must be 0 (no limit) .. 100000");
        }
        if (settings.weight() != null && !Weights.valid(settings.weight()))
            throw ApiProblem.badRequest("invalid_weight", "weight must be 1.." + Weights.MAX);
        String pool = settings.pool() == null || settings.pool().isEmpty()
                ? settings.pool()
                : settings.pool().indexOf('/') > 0
                        // ORG/NAME: a pool of another organisation shared with this one (default/NAME: key NAME)
                        ? OrgNames.qualify(
                                OrgNames.orgOf(OrgNames.requireKey(settings.pool(), "invalid_pool_id", "pool ids")),
                                OrgNames.nameOf(settings.pool()))
                        : OrgNames.qualify(
                                OrgNames.orgOf(workspaceId),
                                Ids.requireName(settings.pool(), "invalid_pool_id", "pool ids"));
        WorkspaceSettings resolved = new WorkspaceSettings(
                settings.terraformVersion(),
                settings.maxRunTime(),
                settings.autoApply(),
                pool,
                settings.maxPlansRunning(),
                settings.weight());
        WorkspaceView view = jdbi.inTransaction(h -> {
            workspaces.ensure(h, workspaceId);
            if (pool != null && !pool.isEmpty() && !workspaces.poolGranted(h, workspaceId, pool)) {
                // The same answer for a pool that does not exist and one of another organisation.
                throw ApiProblem.notFound(
                        "pool_not_found", "no pool '" + settings.pool() + "' granted to workspace " + workspaceId);
            }
            workspaces.updateSettings(
                    h, workspaceId, resolved, maxRunTime == null ? null : (int) maxRunTime.toSeconds());
            return workspaces.find(h, workspaceId).orElseThrow();
        });
        log.info(
                "workspace {}: terraform_version {}, max_run_time {}, auto_apply {}",
                workspaceId,
                settings.terraformVersion() == null ? "cleared (the agent's default)" : settings.terraformVersion(),
                view.maxRunTime() == null ? "the pool's" : view.maxRunTime(),
                view.autoApply());
        return view;
    }

    /**
     * Releases a lock a lost apply left behind. Only forced (a person has looked at the resources), and never under
     * a plan_apply whose agent still runs it: that one releases the lock itself when it ends. An apply whose agent is
     * unreachable is given up (errored): whatever that agent delivers later is refused.
     */
    public WorkspaceView unlock(String workspaceId, boolean force) {
        Ids.requireWorkspaceId(workspaceId);
        if (!force) {
            throw ApiProblem.badRequest(
                    "force_required",
                    "unlocking needs force: true; a lost apply may have created"
                            + " resources that no state records, so look at them first");
        }
        WorkspaceView view = jdbi.inTransaction(h -> {
            if (!workspaces.exists(h, workspaceId)) throw notFound(workspaceId);
            WorkspaceStore.LockHolder holder =
                    workspaces.lockHolder(h, workspaceId).orElse(null);
            if (holder != null
                    && "running".equals(holder.status())
                    && !lostApplies.giveUp(
                            h,
                            holder.taskId(),
                            "given up: the workspace was unlocked with --force while the agent running this apply was unreachable;"
                                    + " what that agent delivers later is refused")) {
                throw ApiProblem.conflict(
                        "lock_held_by_running_task", "the lock is held by a running plan_apply; cancel it instead");
            }
            if (holder != null && ("planned".equals(holder.status()) || "queued".equals(holder.status()))) {
                throw ApiProblem.conflict(
                        "lock_held_by_planned_task",
                        "the lock is held by task " + holder.taskId() + ", whose plan was made to be reviewed and"
                                + " applied; discard or cancel it instead");
            }
            workspaces.unlock(h, workspaceId);
            return workspaces.find(h, workspaceId).orElseThrow();
        });
        log.warn("workspace {} unlocked by force", workspaceId);
        queueSignals.signal(queueKey);
        return view;
    }

    /** What a workspace that does not exist, or that the caller may not read, looks like. */
    public static ApiProblem notFound(String workspaceId) {
        return ApiProblem.notFound("workspace_not_found", "no workspace " + workspaceId);
    }
}
