package io.iacrunner.server.tfapi;

import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;

/**
 * The ids the Terraform Cloud API hands out, made from ours so that nothing maps them back but this class: a
 * workspace is {@code ws-ORG:NAME} (Terraform's client refuses ids with {@code /}, which our keys of other
 * organisations hold; no name holds {@code :}), a run, its plan and its apply are its task's id behind
 * {@code run-}, {@code plan-} and {@code apply-}, and a state version is {@code sv-ORG:NAME:VERSION}. An id that is not
 * one of ours is a 404, like one that names nothing.
 */
final class TfeIds {
    static final String RUN = "run-";
    static final String PLAN = "plan-";
    static final String APPLY = "apply-";
    private static final String WORKSPACE = "ws-";
    private static final String STATE_VERSION = "sv-";

    private TfeIds() {}

    static String workspace(String key) {
        return WORKSPACE + OrgNames.orgOf(key) + ":" + OrgNames.nameOf(key);
    }

    /** The workspace key of {@code ws-ORG:NAME}. */
    static String workspaceKey(String id) {
        String[] parts =
                id.startsWith(WORKSPACE) ? id.substring(WORKSPACE.length()).split(":", -1) : new String[0];
        if (parts.length != 2
                || !Ids.NAME.matcher(parts[0]).matches()
                || !Ids.NAME.matcher(parts[1]).matches()) {
            throw ApiProblem.notFound("workspace_not_found", "no workspace " + id);
        }
        return OrgNames.qualify(parts[0], parts[1]);
    }

    /** The task of a run, plan or apply id ({@code prefix} says which). */
    static String task(String id, String prefix) {
        String task = id.startsWith(prefix) ? id.substring(prefix.length()) : "";
        if (!Ids.isTask(task)) throw ApiProblem.notFound("not_found", "no " + prefix.replace("-", "") + " " + id);
        return task;
    }

    static String stateVersion(String workspaceKey, int version) {
        return STATE_VERSION + OrgNames.orgOf(workspaceKey) + ":" + OrgNames.nameOf(workspaceKey) + ":" + version;
    }

    record StateVersion(String workspaceKey, int version) {}

    static StateVersion stateVersion(String id) {
        String[] parts = id.startsWith(STATE_VERSION)
                ? id.substring(STATE_VERSION.length()).split(":", -1)
                : new String[0];
        if (parts.length == 3
                && Ids.NAME.matcher(parts[0]).matches()
                && Ids.NAME.matcher(parts[1]).matches()
                && parts[2].matches("[1-9][0-9]{0,8}")) {
            return new StateVersion(OrgNames.qualify(parts[0], parts[1]), Integer.parseInt(parts[2]));
        }
        throw ApiProblem.notFound("state_version_not_found", "no state version " + id);
    }
}
