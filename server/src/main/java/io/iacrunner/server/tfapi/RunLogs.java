package io.iacrunner.server.tfapi;

import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.logs.LogService;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A plan's or an apply's log as Terraform's client reads it from a {@code log-read-url}: one byte stream, polled with
 * {@code offset} and {@code limit} in bytes, opened by STX and closed by ETX once the phase is over (Terraform stops
 * polling then). The lines are the task's stored ones, so they reach the terminal as the agent's upload commits them,
 * and nothing but what the store holds is shown. Three header lines open it: Terraform skips the first three lines of an
 * apply's log (Terraform Cloud's version banner), so they are ours, not the agent's.
 */
final class RunLogs {
    private static final byte STX = 2;
    private static final byte ETX = 3;
    static final int MAX_LIMIT = 1 << 20;

    private final LogService logs;

    RunLogs(LogService logs) {
        this.logs = logs;
    }

    /** The plan's log, or the apply's; a slice of at most {@code limit} bytes from {@code offset}. */
    byte[] read(TaskView task, boolean apply, long offset, int limit) {
        RunPhases phases = new RunPhases(task);
        int attempt = apply ? (phases.applyStarted() ? task.attempt() : 0) : phases.planAttempt();
        boolean done = apply ? phases.applyDone() : phases.planDone();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(STX);
        header(out, task, headline(phases, apply, attempt));
        if (attempt > 0) logs.forEachLine(task, attempt, line -> line(out, line.line()));
        if (done) out.write(ETX);
        byte[] all = out.toByteArray();
        if (offset >= all.length) return new byte[0];
        return Arrays.copyOfRange(all, (int) offset, (int) Math.min(all.length, offset + limit));
    }

    private static String headline(RunPhases phases, boolean apply, int attempt) {
        if (apply && phases.autoApplied()) return "planned and applied in one attempt: its lines are the plan's";
        String phase = apply ? "apply" : "plan";
        return attempt == 0 ? "the " + phase + " has not started" : "the " + phase + " of attempt " + attempt;
    }

    private static void header(ByteArrayOutputStream out, TaskView task, String headline) {
        line(
                out,
                "iac-runner task " + task.taskId() + " (" + task.action().wireName() + ") on workspace "
                        + task.workspaceId());
        line(out, headline);
        line(out, "");
    }

    private static void line(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }
}
