package io.iacrunner.server.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.RollbackRequest;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.tasks.PlanStore;
import io.iacrunner.server.tasks.TaskStore;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.iacrunner.server.workspaces.WorkspaceStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts the states applies leave behind: from the running attempt of a {@code plan_apply}, or from Terraform's own
 * CLI through the {@code http} backend ({@link #push}). Either way a state needs the workspace's lineage (the first
 * state sets it) and a serial above the current one: a stale or replayed upload can never move a workspace backwards.
 */
public final class StateService {
    private static final Logger log = LoggerFactory.getLogger(StateService.class);

    private final Jdbi jdbi;
    private final TaskStore tasks;
    private final StateStore states;
    private final WorkspaceStore workspaces;

    public StateService(Jdbi jdbi, TaskStore tasks, StateStore states, WorkspaceStore workspaces) {
        this.jdbi = jdbi;
        this.tasks = tasks;
        this.states = states;
        this.workspaces = workspaces;
    }

    /** A Terraform state as stored: its serial, lineage, the text kept and that text's SHA-256. */
    private record Checked(long serial, String lineage, String text, String sha256) {}

    /** Refuses anything but a Terraform state of format version 4 with a serial and a lineage. */
    private static Checked check(ObjectNode state) {
        if (state == null) throw ApiProblem.badRequest("missing_state", "state is required");
        JsonNode serialNode = state.get("serial");
        JsonNode lineageNode = state.get("lineage");
        if (state.path("version").asInt(-1) != 4
                || serialNode == null
                || !serialNode.canConvertToLong()
                || serialNode.asLong() < 0
                || lineageNode == null
                || !lineageNode.isTextual()
                || lineageNode.asText().isBlank()) {
            throw ApiProblem.badRequest(
                    "invalid_state", "state must be a Terraform state: version 4, serial >= 0, a lineage");
        }
        String text = Rows.json(state);
        return new Checked(serialNode.asLong(), lineageNode.asText(), text, sha256(text));
    }

    /**
     * The rule every new version follows, whoever sends it: the workspace's lineage (the first state sets it) and a
     * serial above the current one.
     */
    private static void requireSuccessor(Optional<StateVersionView> current, Checked state) {
        if (current.isPresent() && !current.get().lineage().equals(state.lineage())) {
            throw ApiProblem.conflict(
                    "state_conflict",
                    "lineage " + state.lineage() + " differs from the workspace's "
                            + current.get().lineage());
        }
        if (current.isPresent() && state.serial() <= current.get().serial()) {
            throw ApiProblem.conflict(
                    "state_conflict",
                    "serial " + state.serial() + " is not above the current serial "
                            + current.get().serial());
        }
    }

    public StateVersionView upload(String taskId, String agentId, StateUpload upload) {
        Checked checked = check(upload.state());
        long serial = checked.serial();
        String lineage = checked.lineage();
        String text = checked.text();
        StateVersionView stored = tasks.inAttempt(taskId, agentId, upload.attempt(), (h, attempt) -> {
            if (attempt.action() != TaskAction.PLAN_APPLY) {
                throw ApiProblem.conflict(
                        "plan_cannot_change_state", "task " + taskId + " is a plan; plans never change state");
            }
            // The plan phase of a run that waits for confirmation applies nothing, so it stores no state either.
            PlanStore.requireMayApply(tasks.lockForUpdate(h, taskId).orElseThrow());
            var current = states.lockCurrent(h, attempt.workspaceId());
            String digest = checked.sha256();
            if (current.isPresent()
                    && taskId.equals(current.get().taskId())
                    && digest.equals(current.get().sha256())) {
                // The same upload again (its reply was lost): it is stored already; say so instead of a conflict.
                return current.get();
            }
            requireSuccessor(current, checked);
            int version = current.map(c -> c.version() + 1).orElse(1);
            return states.insertFromApply(h, attempt, version, serial, lineage, digest, text);
        });
        log.info(
                "workspace {} state version {} (serial {}) from task {}",
                stored.workspaceId(),
                stored.version(),
                serial,
                taskId);
        return stored;
    }

    /**
     * A state Terraform's CLI sends through the {@code http} backend (a local apply, {@code terraform state push},
     * {@code ./iac state push}) becomes a new version by the same rules as an apply's upload. The workspace's lock
     * decides who may write: while anyone holds it, only the local run holding it, naming its lock ID ({@code lockId},
     * Terraform's {@code ?ID=}); a run naming a lock it no longer holds (force-unlocked meanwhile) writes nothing. The
     * current state sent again (a retried request) is answered with its version. Creates the workspace if it is new.
     *
     * @param lockId the lock ID Terraform holds, or null when it sent none (it runs without locking)
     * @param pushedBy who sent it, as the version records it
     */
    public StateVersionView push(String workspaceId, ObjectNode state, String lockId, String pushedBy) {
        Ids.requireWorkspaceId(workspaceId);
        Checked checked = check(state);
        StateVersionView stored = jdbi.inTransaction(h -> {
            workspaces.ensure(h, workspaceId);
            var current = states.lockCurrent(h, workspaceId);
            StateStore.LockState lock = states.lockState(h, workspaceId);
            if (lockId != null && !lockId.equals(lock.terraformLockId())) {
                throw ApiProblem.conflict(
                        "lock_not_held",
                        "lock " + lockId + " is not held on workspace " + workspaceId
                                + lock.describe()
                                        .map(holder -> "; it is locked by " + holder)
                                        .orElse(" (it was unlocked)")
                                + "; nothing was written");
            }
            if (lockId == null && lock.describe().isPresent()) {
                throw new ApiProblem(
                        423,
                        "workspace_locked",
                        "workspace " + workspaceId + " is locked by "
                                + lock.describe().get() + "; nothing was written");
            }
            if (current.isPresent() && checked.sha256().equals(current.get().sha256())) return current.get();
            requireSuccessor(current, checked);
            int version = current.map(c -> c.version() + 1).orElse(1);
            return states.insertPushed(
                    h,
                    workspaceId,
                    version,
                    checked.serial(),
                    checked.lineage(),
                    checked.sha256(),
                    checked.text(),
                    pushedBy);
        });
        log.info(
                "workspace {} state version {} (serial {}) pushed by {}",
                workspaceId,
                stored.version(),
                stored.serial(),
                pushedBy);
        return stored;
    }

    public String current(String workspaceId) {
        requireWorkspace(workspaceId);
        return states.currentState(workspaceId)
                .orElseThrow(() -> ApiProblem.notFound(
                        "no_state", "workspace " + workspaceId + " has no state yet (no apply has finished there)"));
    }

    /** The content of one version of the workspace's state. */
    public String version(String workspaceId, int version) {
        requireWorkspace(workspaceId);
        return states.state(workspaceId, version)
                .orElseThrow(() -> ApiProblem.notFound(
                        "no_such_version", "workspace " + workspaceId + " has no state version " + version));
    }

    /**
     * Writes the content of version {@code to} as a new current version: the same lineage, the serial one above the
     * current one (Terraform refuses to go back in serial, and so does this store), {@code rollback_of} = {@code to}.
     * Refused while an apply holds the workspace: it would write its own state over the rollback, or the other way.
     */
    public StateVersionView rollback(String workspaceId, RollbackRequest request) {
        requireWorkspace(workspaceId);
        if (request.to() == null || request.to() < 1)
            throw ApiProblem.badRequest("invalid_version", "to must be a version number >= 1");
        int to = request.to();
        StateVersionView stored = jdbi.inTransaction(h -> {
            var current = states.lockCurrent(h, workspaceId)
                    .orElseThrow(() ->
                            ApiProblem.notFound("no_state", "workspace " + workspaceId + " has no state to roll back"));
            states.lockHolder(h, workspaceId).ifPresent(holder -> {
                throw ApiProblem.conflict(
                        "workspace_locked",
                        "workspace " + workspaceId + " is locked by " + holder
                                + "; roll back once it has finished (or after unlock --force)");
            });
            if (to == current.version()) {
                throw ApiProblem.conflict("already_current", "version " + to + " is the current version already");
            }
            String old = states.state(h, workspaceId, to)
                    .orElseThrow(() -> ApiProblem.notFound(
                            "no_such_version", "workspace " + workspaceId + " has no state version " + to));
            ObjectNode state;
            try {
                state = (ObjectNode) WireJson.lenient().readTree(old);
            } catch (JsonProcessingException | ClassCastException e) {
                throw new IllegalStateException(
                        "stored state version " + to + " of " + workspaceId + " is not a JSON object", e);
            }
            if (!current.lineage().equals(state.path("lineage").asText())) {
                throw ApiProblem.conflict(
                        "state_conflict",
                        "version " + to + " has lineage "
                                + state.path("lineage").asText() + ", the workspace " + current.lineage());
            }
            long serial = current.serial() + 1;
            state.put("serial", serial);
            String text = Rows.json(state);
            return states.insertRollback(
                    h, workspaceId, current.version() + 1, serial, current.lineage(), sha256(text), text, to);
        });
        log.info(
                "workspace {} state rolled back to the content of version {} as version {} (serial {})",
                workspaceId,
                to,
                stored.version(),
                stored.serial());
        return stored;
    }

    public List<StateVersionView> versions(String workspaceId) {
        requireWorkspace(workspaceId);
        return states.versions(workspaceId);
    }

    private void requireWorkspace(String workspaceId) {
        Ids.requireWorkspaceId(workspaceId);
        if (!states.workspaceExists(workspaceId)) {
            throw WorkspaceService.notFound(workspaceId);
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
