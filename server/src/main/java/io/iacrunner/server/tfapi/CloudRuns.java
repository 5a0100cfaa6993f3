package io.iacrunner.server.tfapi;

import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.tasks.TaskAccess;
import io.iacrunner.server.tasks.TaskService;
import io.iacrunner.server.tfapi.ConfigVersionStore.ConfigVersion;
import io.iacrunner.server.workspaces.WorkspaceService;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Runs as Terraform's {@code cloud} block asks for them: a configuration version is created, its archive uploaded
 * (checked as any task's), and a run made of it becomes an ordinary task of its workspace: a {@code plan} for a
 * speculative version ({@code terraform plan}), else a {@code plan_apply} that waits for its confirmation unless the run
 * auto-applies ({@code terraform apply -auto-approve}).
 */
final class CloudRuns {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ConfigVersionStore versions;
    private final TaskService tasks;
    private final WorkspaceService workspaces;

    CloudRuns(ConfigVersionStore versions, TaskService tasks, WorkspaceService workspaces) {
        this.versions = versions;
        this.tasks = tasks;
        this.workspaces = workspaces;
    }

    /** A new configuration version and the secret of its upload URL, which is shown this once. */
    record Created(ConfigVersion version, String uploadSecret) {}

    /** Needs the plan role: an upload alone runs nothing. */
    Created createConfigVersion(Principal.User user, String workspaceKey, boolean speculative) {
        requireRole(user, workspaceKey, Role.PLAN);
        workspaces.get(workspaceKey);
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        byte[] idBytes = new byte[12];
        RANDOM.nextBytes(idBytes);
        String id = "cv-" + HexFormat.of().formatHex(idBytes);
        versions.insert(id, workspaceKey, speculative, sha256(token), user.name());
        return new Created(new ConfigVersion(id, workspaceKey, speculative, false), token);
    }

    /** A configuration version of a workspace {@code user} may read. */
    ConfigVersion configVersion(Principal.User user, String id) {
        ConfigVersion version = versions.find(id).orElseThrow(() -> notFound(id));
        requireRole(user, version.workspaceId(), Role.READ);
        return version;
    }

    /**
     * Stores an uploaded archive once it passed a task's checks; the secret is the only credential (Terraform sends no
     * token to an upload URL), so a wrong one is a 404 like a version that does not exist.
     */
    void upload(String id, String secret, byte[] archive) {
        // The secret first: nothing of the version, nor a word about the archive, for a caller without it.
        ConfigVersion version = versions.find(id, sha256(secret)).orElseThrow(() -> notFound(id));
        if (version.uploaded()) {
            throw ApiProblem.conflict("already_uploaded", "configuration version " + id + " has its archive already");
        }
        tasks.checkConfigArchive(archive);
        if (!versions.upload(id, sha256(secret), archive)) throw notFound(id);
    }

    /** What a run asks for, as read from its JSON:API body. */
    record RunRequest(String configVersionId, String workspaceKey, Boolean autoApply, RunOptions options) {}

    /** Queues the run's task: a plan needs the plan role in its workspace, a plan_apply the apply role. */
    TaskView createRun(Principal.User user, RunRequest request) {
        ConfigVersion version = configVersion(user, request.configVersionId());
        if (!version.workspaceId().equals(request.workspaceKey())) {
            throw JsonApi.invalid(
                    "relationship configuration-version", "belongs to another workspace than the run's workspace");
        }
        TaskAction action = version.speculative() ? TaskAction.PLAN : TaskAction.PLAN_APPLY;
        requireRole(user, version.workspaceId(), TaskAccess.toRun(action));
        if (action == TaskAction.PLAN_APPLY
                && request.options().destroy()
                && Boolean.TRUE.equals(request.autoApply())) {
            throw JsonApi.invalid(
                    "attribute auto-apply",
                    "cannot be true for a destroy: a destroy always waits for confirmation (run it without -auto-approve)");
        }
        byte[] archive = versions.archive(version.id())
                .orElseThrow(() -> ApiProblem.conflict(
                        "configuration_not_uploaded",
                        "configuration version " + version.id() + " has no archive yet: upload it first"));
        CreateTaskRequest task = new CreateTaskRequest(
                version.workspaceId(),
                action,
                null,
                null,
                null,
                null,
                null,
                Base64.getEncoder().encodeToString(archive),
                request.options());
        TaskView created =
                tasks.create(task, user.name(), action == TaskAction.PLAN_APPLY ? request.autoApply() : null);
        // One run per version, as Terraform makes them; the task keeps the archive.
        versions.delete(version.id());
        return created;
    }

    /** A workspace the token may not read is a 404, exactly like one that does not exist. */
    static void requireRole(Principal.User user, String workspaceKey, Role role) {
        Authenticator.require(user, workspaceKey, Role.READ, () -> WorkspaceService.notFound(workspaceKey));
        Authenticator.require(user, workspaceKey, role, () -> WorkspaceService.notFound(workspaceKey));
    }

    private static ApiProblem notFound(String id) {
        return ApiProblem.notFound("configuration_version_not_found", "no configuration version " + id);
    }

    private static String sha256(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
