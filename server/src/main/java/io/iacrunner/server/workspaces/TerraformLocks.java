package io.iacrunner.server.workspaces;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.util.Signals;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workspace lock as Terraform's {@code http} backend takes it. It is the lock a running plan_apply holds, not one
 * beside it: while a local Terraform run holds it no plan_apply is claimed there, and while a plan_apply holds it a
 * local run is refused with the apply's task named as the lock's ID (Terraform prints "HTTP remote state already
 * locked: ID=…"). Terraform's forced unlock is the workspaces' own ({@link WorkspaceService#unlock}).
 */
public final class TerraformLocks {
    private static final Logger log = LoggerFactory.getLogger(TerraformLocks.class);
    /** Terraform's lock IDs are UUIDs; anything much longer is not one. */
    static final int MAX_LOCK_ID = 256;
    /** Terraform's lock info is a few hundred bytes; it is stored and shown to whoever meets the lock. */
    static final int MAX_LOCK_INFO = 16 * 1024;

    private final Jdbi jdbi;
    private final WorkspaceStore workspaces;
    private final Signals<String> queueSignals;
    private final String queueKey;

    /** A refusal in Terraform's shape: the holder's lock info (which Terraform reads), with our error beside it. */
    public record Held(int status, ObjectNode body) {}

    /** @param queueKey the signal that wakes waiting pulls: a released lock may let a queued plan_apply go */
    public TerraformLocks(Jdbi jdbi, WorkspaceStore workspaces, Signals<String> queueSignals, String queueKey) {
        this.jdbi = jdbi;
        this.workspaces = workspaces;
        this.queueSignals = queueSignals;
        this.queueKey = queueKey;
    }

    /**
     * Takes the workspace's lock for the local run that sent {@code info} (Terraform's lock info), creating the
     * workspace if it is new; the same lock asked for again (a retried request) is granted again. Held by anyone
     * else: 423 with the holder.
     */
    public Optional<Held> lock(String workspaceId, ObjectNode info) {
        Ids.requireWorkspaceId(workspaceId);
        String lockId = lockId(info);
        String text = Rows.json(info);
        if (text.length() > MAX_LOCK_INFO)
            throw ApiProblem.badRequest("invalid_lock_info", "the lock info is over " + MAX_LOCK_INFO + " bytes");
        String reason = "held by a local Terraform run: "
                + info.path("Operation").asText("") + " by " + info.path("Who").asText("") + ", lock ID " + lockId;
        Optional<Held> held = jdbi.inTransaction(h -> {
            workspaces.ensure(h, workspaceId);
            var holder = workspaces.holder(h, workspaceId);
            if (holder.isEmpty()) {
                workspaces.lockForTerraform(h, workspaceId, lockId, text, reason);
                return Optional.empty();
            }
            if (lockId.equals(holder.get().terraformLockId())) return Optional.empty();
            return Optional.of(held(423, workspaceId, holder.get()));
        });
        if (held.isEmpty()) log.info("workspace {} locked: {}", workspaceId, reason);
        return held;
    }

    /**
     * Releases the lock the local run that sent {@code info} holds. A lock already released (a retried request) is
     * no refusal; a lock someone else holds is refused (409, with the holder), and stays.
     */
    public Optional<Held> unlock(String workspaceId, ObjectNode info) {
        Ids.requireWorkspaceId(workspaceId);
        String lockId = lockId(info);
        Optional<Held> held = jdbi.inTransaction(h -> {
            if (!workspaces.exists(h, workspaceId)) throw WorkspaceService.notFound(workspaceId);
            var holder = workspaces.holder(h, workspaceId);
            if (holder.isEmpty() || workspaces.unlockForTerraform(h, workspaceId, lockId)) return Optional.empty();
            return Optional.of(held(409, workspaceId, holder.get()));
        });
        if (held.isEmpty()) {
            log.info("workspace {}: Terraform lock {} released", workspaceId, lockId);
            queueSignals.signal(queueKey);
        }
        return held;
    }

    /** Terraform's lock ID from its lock info: what its later state writes name ({@code ?ID=}). */
    private static String lockId(ObjectNode info) {
        JsonNode id = info.get("ID");
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            throw ApiProblem.badRequest(
                    "invalid_lock_info", "the lock info needs an ID (Terraform's lock info: ID, Operation, Who, …)");
        }
        String value = id.asText();
        if (value.length() > MAX_LOCK_ID || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ApiProblem.badRequest(
                    "invalid_lock_info",
                    "the lock ID must be at most " + MAX_LOCK_ID + " characters, without control characters");
        }
        return value;
    }

    /**
     * The holder as Terraform's lock info: a local run's own, or one made up for a task, whose ID is the task's id
     * (Terraform prints that ID, so the person sees which task to look at).
     */
    private static Held held(int status, String workspaceId, WorkspaceStore.Holder holder) {
        ObjectNode body;
        String who;
        if (holder.terraformLockId() != null) {
            body = storedInfo(holder.terraformLockInfo());
            who = "a local Terraform run (lock ID " + holder.terraformLockId() + ", "
                    + body.path("Who").asText("") + ")";
        } else {
            body = JsonNodeFactory.instance.objectNode();
            body.put("ID", holder.taskId());
            body.put("Operation", "OperationTypeApply");
            body.put(
                    "Info",
                    "iac-runner task " + holder.taskId() + " (" + holder.taskStatus() + "): " + holder.reason());
            body.put(
                    "Who",
                    "iac-runner task " + holder.taskId()
                            + (holder.agentId() == null ? "" : " on agent " + holder.agentId()));
            body.put("Version", holder.terraformVersion() == null ? "" : holder.terraformVersion());
            // Terraform reads Created as a time: an empty string would make it unable to read the rest.
            if (holder.lockedAt() != null) body.put("Created", holder.lockedAt().toString());
            body.put("Path", "");
            who = "task " + holder.taskId() + " (" + holder.taskStatus() + ")";
        }
        body.putObject("error")
                .put("code", "workspace_locked")
                .put("message", "workspace " + workspaceId + " is locked by " + who);
        return new Held(status, body);
    }

    private static ObjectNode storedInfo(String text) {
        try {
            return (ObjectNode) WireJson.lenient().readTree(text);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalStateException("stored Terraform lock info is not a JSON object", e);
        }
    }
}
