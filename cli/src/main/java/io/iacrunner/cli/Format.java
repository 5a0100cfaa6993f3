package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.HttpBackendSettings;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.StateVersionView;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceView;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Human-readable renderings: key/value listings and aligned tables. Machine output goes through {@link #json}. */
final class Format {
    private static final String NONE = "-";

    private Format() {}

    /** A wire record as pretty JSON: snake_case keys, ISO-8601 timestamps, nulls kept. */
    static String json(Object value) {
        try {
            return WireJson.lenient().writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    static String taskDetails(TaskView t) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("task_id", t.taskId());
        fields.put("workspace_id", t.workspaceId());
        fields.put("action", t.action() == null ? null : t.action().wireName());
        fields.put("status", t.status() == null ? null : t.status().wireName());
        fields.put("phase", t.phase() == null ? null : t.phase().wireName());
        fields.put("attempt", t.attempt());
        fields.put("exit_code", t.exitCode());
        fields.put("message", t.message());
        fields.put("terraform_version", t.terraformVersion());
        fields.put("created_by", t.createdBy());
        fields.put("created_at", t.createdAt());
        fields.put("started_at", t.startedAt());
        fields.put("finished_at", t.finishedAt());
        fields.put("agent_id", t.agentId());
        fields.put("log_lines", t.logLines());
        fields.put("log_complete", t.logComplete());
        fields.put("log_sha256", t.logSha256());
        if (t.labels() != null && !t.labels().isEmpty()) fields.put("labels", Labels.text(t.labels()));
        if (t.cancelRequested()) fields.put("cancel_requested", true);
        if (t.planSummary() != null) fields.put("plan", planText(t.planSummary()));
        if (t.needsConfirmation()) fields.put("needs_confirmation", true);
        if (t.runOptions() != null)
            fields.put("run_options", String.join(" ", t.runOptions().planArguments()));
        if (t.applyPlanOf() != null) fields.put("apply_plan_of", t.applyPlanOf());
        if (t.reviewedBy() != null) fields.put("reviewed_by", t.reviewedBy() + " at " + t.reviewedAt());
        if (t.reviewComment() != null) fields.put("review_comment", t.reviewComment());
        return keyValues(fields);
    }

    static String poolDetails(PoolConfig p) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("pool_id", p.poolId());
        fields.put("max_plan_concurrency", p.maxPlanConcurrency());
        fields.put("allow_apply_concurrent", p.allowApplyConcurrent());
        fields.put("labels", Labels.text(p.labels()));
        fields.put("max_run_time", p.maxRunTime());
        fields.put("min_agent_version", text(p.minAgentVersion()));
        fields.put("max_running", text(p.maxRunning()));
        return keyValues(fields);
    }

    static String poolTable(List<PoolConfig> pools) {
        List<List<String>> rows = new ArrayList<>();
        for (PoolConfig p : pools) {
            rows.add(List.of(
                    text(p.poolId()),
                    text(p.maxPlanConcurrency()),
                    text(p.allowApplyConcurrent()),
                    text(p.maxRunTime()),
                    text(p.maxRunning()),
                    text(p.minAgentVersion()),
                    text(Labels.text(p.labels()))));
        }
        return table(
                List.of(
                        "ID",
                        "MAX_PLANS",
                        "APPLY_CONCURRENT",
                        "MAX_RUN_TIME",
                        "MAX_RUNNING",
                        "MIN_AGENT_VERSION",
                        "LABELS"),
                rows);
    }

    /**
     * The lock reads {@code free}, or names its holder (a task, or a local Terraform run by its lock ID) and since
     * when, with the reason on a line of its own; then where Terraform's {@code http} backend reaches its state.
     */
    static String workspaceDetails(WorkspaceView w, HttpBackendSettings backend) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("workspace_id", w.workspaceId());
        WorkspaceView.Lock lock = w.lock();
        if (lock == null) {
            fields.put("lock", "free");
        } else if (lock.taskId() != null) {
            fields.put("lock", "held by task " + text(lock.taskId()) + " since " + text(lock.lockedAt()));
            fields.put("lock_reason", lock.reason());
        } else {
            fields.put(
                    "lock",
                    "held by a local Terraform run (lock ID " + text(lock.terraformLockId()) + ") since "
                            + text(lock.lockedAt()));
            fields.put("lock_reason", lock.reason());
        }
        fields.put("state_version", w.currentStateVersion());
        fields.put("state_serial", w.currentStateSerial());
        fields.put("terraform_version", w.terraformVersion() == null ? "(the agent's default)" : w.terraformVersion());
        fields.put("max_run_time", w.maxRunTime() == null ? "(the pool's)" : w.maxRunTime());
        fields.put("created_at", w.createdAt());
        fields.put("http_backend", backend.address());
        if (w.outputs() != null) {
            w.outputs()
                    .forEach((name, output) -> fields.put(
                            "output." + name,
                            output.sensitive()
                                    ? "(sensitive)"
                                    : output.value() == null
                                            ? NONE
                                            : output.value().toString()));
        }
        return keyValues(fields);
    }

    static String keyValues(Map<String, Object> fields) {
        int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
        StringBuilder out = new StringBuilder();
        fields.forEach((key, value) -> out.append(pad(key + ":", width))
                .append(' ')
                .append(text(value))
                .append('\n'));
        return out.toString();
    }

    static String taskTable(List<TaskView> tasks) {
        List<List<String>> rows = new ArrayList<>();
        for (TaskView t : tasks) {
            rows.add(List.of(
                    text(t.taskId()),
                    text(t.workspaceId()),
                    t.action() == null ? NONE : t.action().wireName(),
                    t.status() == null ? NONE : t.status().wireName(),
                    text(t.exitCode()),
                    shortTime(t.createdAt()),
                    text(t.agentId())));
        }
        return table(List.of("ID", "WORKSPACE", "ACTION", "STATUS", "EXIT", "CREATED", "AGENT"), rows);
    }

    /** "1 to add, 0 to change, 0 to destroy: + a.b, - c.d" (at most {@value #PLAN_ADDRESSES} addresses), or "no changes". */
    static String planText(PlanSummary plan) {
        List<String> marked = new ArrayList<>();
        plan.add().forEach(a -> marked.add("+ " + a));
        plan.change().forEach(a -> marked.add("~ " + a));
        plan.destroy().forEach(a -> marked.add("- " + a));
        if (marked.isEmpty()) return plan.describe();
        String shown = String.join(", ", marked.subList(0, Math.min(PLAN_ADDRESSES, marked.size())));
        return plan.describe() + ": " + shown
                + (marked.size() > PLAN_ADDRESSES ? ", … (" + marked.size() + " in all; --json lists them)" : "");
    }

    private static final int PLAN_ADDRESSES = 10;

    static String stateVersionTable(List<StateVersionView> versions) {
        List<List<String>> rows = new ArrayList<>();
        for (StateVersionView v : versions) {
            rows.add(List.of(
                    Integer.toString(v.version()),
                    Long.toString(v.serial()),
                    v.rollbackOf() != null
                            ? "rollback to " + v.rollbackOf()
                            : v.pushedBy() != null ? "pushed by " + v.pushedBy() : text(v.taskId()),
                    shortTime(v.createdAt()),
                    v.sha256() == null
                            ? NONE
                            : v.sha256().substring(0, Math.min(12, v.sha256().length()))));
        }
        return table(List.of("VERSION", "SERIAL", "WRITTEN_BY", "CREATED", "SHA256"), rows);
    }

    static String agentTable(List<AgentView> agents) {
        List<List<String>> rows = new ArrayList<>();
        for (AgentView a : agents) {
            List<String> running = a.runningTasks() == null ? List.of() : a.runningTasks();
            rows.add(List.of(
                    text(a.agentId()),
                    text(a.name()),
                    text(a.poolId()),
                    text(a.status()),
                    shortTime(a.lastSeen()),
                    text(a.version()),
                    isolation(a.isolation()),
                    percent(a.cpuUsage()),
                    percent(a.memUsage()),
                    slots(a),
                    running.isEmpty() ? NONE : String.join(",", running),
                    a.diskFull() ? "disk full: claims nothing" : NONE));
        }
        return table(
                List.of(
                        "ID",
                        "NAME",
                        "POOL",
                        "STATUS",
                        "LAST_SEEN",
                        "VERSION",
                        "ISOLATION",
                        "CPU",
                        "MEM",
                        "SLOTS",
                        "RUNNING",
                        "WARNINGS"),
                rows);
    }

    /** A share from a ping as a whole percentage; {@code -} before the agent said. */
    static String percent(Double share) {
        return share == null ? NONE : Math.round(share * 100) + "%";
    }

    /**
     * Plans running of the slots the agent takes now, of its limit, and why the slots are what they are: {@code
     * 2/3 of 8 (cpu waiting 71 %)}. {@code -} before its first ping.
     */
    static String slots(AgentView a) {
        if (a.planSlots() == null) return NONE;
        String used = (a.plansRunning() == null ? "?" : a.plansRunning()) + "/" + a.planSlots();
        String limit = a.planLimit() == null ? "" : " of " + a.planLimit();
        String reason = a.slotsReason() == null ? "" : " (" + a.slotsReason() + ")";
        return used + limit + reason;
    }

    /** An agent without a sandbox stands out: its tasks can read its credentials and each other's secrets. */
    static String isolation(Isolation isolation) {
        if (isolation == null) return "unknown";
        return isolation == Isolation.NONE ? "NONE(unsandboxed)" : isolation.wireName();
    }

    /** Left-aligned columns separated by two spaces; the last column is not padded. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] widths = new int[header.size()];
        for (int i = 0; i < widths.length; i++) widths[i] = header.get(i).length();
        for (List<String> row : rows) {
            for (int i = 0; i < widths.length; i++)
                widths[i] = Math.max(widths[i], row.get(i).length());
        }
        StringBuilder out = new StringBuilder();
        appendRow(out, header, widths);
        for (List<String> row : rows) appendRow(out, row, widths);
        return out.toString();
    }

    private static void appendRow(StringBuilder out, List<String> cells, int[] widths) {
        for (int i = 0; i < cells.size(); i++) {
            boolean last = i == cells.size() - 1;
            out.append(last ? cells.get(i) : pad(cells.get(i), widths[i] + 2));
        }
        out.append('\n');
    }

    /** Timestamps in tables: ISO-8601 UTC to the second. */
    static String shortTime(Instant instant) {
        return instant == null ? NONE : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String text(Object value) {
        if (value == null) return NONE;
        String s = value.toString();
        return s.isEmpty() ? NONE : s;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
