package io.iacrunner.protocol;

/**
 * A workspace's settings, all of them: {@code PUT /workspaces/{id}} replaces them (and creates the workspace if new).
 * {@code terraformVersion}: what its tasks run unless they name a version (null: the agent's default).
 * {@code maxRunTime}: how long its runs may take before they are stopped and end errored, a duration like
 * {@code 30m} ({@link RunTime}; null: its agent's pool's). {@code autoApply}: whether a plan_apply applies its plan
 * without waiting for a person to confirm it (null: as it is; a new workspace takes the server's default).
 * {@code pool}: the pool its tasks run on, one granted to it (a name in its organisation, or {@code ORG/NAME} for a
 * pool the site admin shared; null: as it is; empty: none named, any granted pool whose labels fit).
 * {@code maxPlansRunning}: the most of its plans running at once (null: as it is; 0: no limit). {@code weight}: its
 * share of its organisation's capacity under fair scheduling, 1..1000 (null: as it is; a new workspace's is 1).
 */
public record WorkspaceSettings(
        String terraformVersion,
        String maxRunTime,
        Boolean autoApply,
        String pool,
        Integer maxPlansRunning,
        Integer weight) {
    /** Weight as it is. */
    public WorkspaceSettings(
            String terraformVersion, String maxRunTime, Boolean autoApply, String pool, Integer maxPlansRunning) {
        this(terraformVersion, maxRunTime, autoApply, pool, maxPlansRunning, null);
    }

    /** Pool and plan quota as they are. */
    public WorkspaceSettings(String terraformVersion, String maxRunTime, Boolean autoApply) {
        this(terraformVersion, maxRunTime, autoApply, null, null);
    }

    /** The Terraform version alone; the run time is the pool's. */
    public WorkspaceSettings(String terraformVersion) {
        this(terraformVersion, null, null);
    }

    /** Auto-apply as it is. */
    public WorkspaceSettings(String terraformVersion, String maxRunTime) {
        this(terraformVersion, maxRunTime, null);
    }
}
