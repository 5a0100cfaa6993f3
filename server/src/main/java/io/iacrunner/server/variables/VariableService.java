package io.iacrunner.server.variables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.protocol.VariableList;
import io.iacrunner.protocol.VariableView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.secrets.SealedJson;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Rows;
import io.iacrunner.server.workspaces.WorkspaceService;
import io.iacrunner.server.workspaces.WorkspaceStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workspace variables: set, listed (sensitive values withheld), removed, and resolved into what a queued task gets.
 * Sensitive values are sealed before they reach the store and opened only to build a task's inputs.
 */
public final class VariableService {
    private static final Logger log = LoggerFactory.getLogger(VariableService.class);
    /** Terraform's identifier syntax: what a {@code variable} block may be called. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,127}");

    static final int MAX_VALUE_BYTES = 64 * 1024;
    static final int MAX_PER_WORKSPACE = 500;

    /** What a task takes from its workspace: every value, and the names of the sensitive ones. */
    public record Inputs(ObjectNode values, List<String> sensitiveNames) {}

    private final Jdbi jdbi;
    private final VariableStore variables = new VariableStore();
    private final WorkspaceStore workspaces;
    private final SealedJson sealed;

    public VariableService(Jdbi jdbi, WorkspaceStore workspaces, SealedJson sealed) {
        this.jdbi = jdbi;
        this.workspaces = workspaces;
        this.sealed = sealed;
    }

    public VariableList list(String workspaceId) {
        Ids.requireWorkspaceId(workspaceId);
        return jdbi.withHandle(h -> {
            requireWorkspace(h, workspaceId);
            return new VariableList(
                    workspaceId,
                    variables.all(h, workspaceId).stream()
                            .map(VariableService::view)
                            .toList());
        });
    }

    /** Creates or replaces a variable; the workspace comes into being if it is new, so it can be set up before its first run. */
    public VariableView set(String workspaceId, String name, SetVariableRequest request) {
        Ids.requireWorkspaceId(workspaceId);
        requireName(name);
        JsonNode value = request.value();
        if (value == null || value.isNull() || value.isMissingNode()) {
            throw ApiProblem.badRequest("missing_value", "value is required (any JSON value but null)");
        }
        int size = Rows.json(value).getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_VALUE_BYTES) {
            throw ApiProblem.badRequest(
                    "value_too_large",
                    "a variable's value is at most " + MAX_VALUE_BYTES + " bytes of JSON, not " + size);
        }
        boolean sensitive = Boolean.TRUE.equals(request.sensitive());
        VariableStore.Row row = jdbi.inTransaction(h -> {
            workspaces.ensure(h, workspaceId);
            workspaces.lockRow(h, workspaceId); // the count below and the insert are one decision
            if (variables.count(h, workspaceId) >= MAX_PER_WORKSPACE && !variables.exists(h, workspaceId, name)) {
                throw ApiProblem.conflict(
                        "too_many_variables", "a workspace has at most " + MAX_PER_WORKSPACE + " variables");
            }
            return sensitive
                    ? variables.put(h, workspaceId, name, null, sealed.seal(value, context(workspaceId, name)))
                    : variables.put(h, workspaceId, name, value, null);
        });
        log.info("workspace {}: variable {} set ({})", workspaceId, name, sensitive ? "sensitive" : "plain");
        return view(row);
    }

    public void delete(String workspaceId, String name) {
        Ids.requireWorkspaceId(workspaceId);
        requireName(name);
        if (!jdbi.inTransaction(h -> variables.delete(h, workspaceId, name))) {
            throw ApiProblem.notFound("variable_not_found", "workspace " + workspaceId + " has no variable " + name);
        }
        log.info("workspace {}: variable {} removed", workspaceId, name);
    }

    /** The workspace's variables as a task queued now takes them, sensitive values opened. */
    public Inputs inputs(Handle h, String workspaceId) {
        ObjectNode values = WireJson.lenient().createObjectNode();
        List<String> sensitive = new ArrayList<>();
        for (VariableStore.Row row : variables.all(h, workspaceId)) {
            if (row.sensitive()) {
                values.set(row.name(), sealed.open(row.sealed(), context(workspaceId, row.name())));
                sensitive.add(row.name());
            } else {
                values.set(row.name(), row.plain());
            }
        }
        return new Inputs(values, sensitive);
    }

    private void requireWorkspace(Handle h, String workspaceId) {
        if (!workspaces.exists(h, workspaceId)) {
            throw WorkspaceService.notFound(workspaceId);
        }
    }

    private static void requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw ApiProblem.badRequest(
                    "invalid_variable_name",
                    "variable names start with a letter or '_' and hold up to"
                            + " 128 letters, digits, '_' or '-' (Terraform's identifiers)");
        }
    }

    /** The associated data of a sealed variable: the seal does not open under another workspace or name. */
    private static String context(String workspaceId, String name) {
        return "workspace " + workspaceId + " variable " + name;
    }

    private static VariableView view(VariableStore.Row row) {
        return new VariableView(row.name(), row.sensitive() ? null : row.plain(), row.sensitive(), row.updatedAt());
    }
}
