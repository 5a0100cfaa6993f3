package io.iacrunner.cli;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogPage;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        description = {
            "Print a task's log lines exactly as Terraform printed them: its current attempt's, or with",
            "--attempt N an earlier attempt's (each attempt of a retried task keeps its own whole log).",
            "Exit status: 0 succeeded; 1 failed, canceled or errored; 3 still queued or running (without --follow).",
        })
public final class LogsCommand implements Callable<Integer> {
    static final int PAGE_SIZE = 5000;

    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Task id.")
    String taskId;

    @Option(
            names = {"-f", "--follow"},
            description = "Stream new lines live until the task ends (reconnects on drops).")
    boolean follow;

    @Option(
            names = "--offset",
            paramLabel = "N",
            defaultValue = "0",
            description = "Skip the first N lines (default 0).")
    long offset;

    @Option(
            names = "--attempt",
            paramLabel = "N",
            description = "Print attempt N's log (1 is the first; default: the current attempt).")
    Integer attempt;

    public LogsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (offset < 0) throw new UsageException("--offset must be 0 or more, got " + offset);
        if (attempt != null && attempt < 1) throw new UsageException("--attempt must be 1 or more, got " + attempt);
        if (attempt != null && follow) {
            throw new UsageException("--follow streams the current attempt; leave out --attempt, or --follow");
        }
        ApiClient api = client.client();
        // One plain request first: an unknown task or a bad token gets the server's own error message.
        TaskView task = api.get(ApiPaths.fill(ApiPaths.TASK, taskId), TaskView.class);
        PrintStream out = ctx.out();
        if (follow) {
            LogFollower.End end = new LogFollower(api, taskId, offset, Duration.ofMinutes(2)).follow(lines -> {
                for (LogLine line : lines) printLine(out, line);
                out.flush();
            });
            TaskStatus status = end.status();
            if (status == null)
                status = api.get(ApiPaths.fill(ApiPaths.TASK, taskId), TaskView.class)
                        .status();
            return exitStatus(status);
        }
        TaskStatus status = task.status();
        long next = offset;
        while (true) {
            LogPage page = api.get(
                    ApiPaths.fill(ApiPaths.TASK_LOGS, taskId) + "?offset=" + next + "&limit=" + PAGE_SIZE
                            + (attempt == null ? "" : "&attempt=" + attempt),
                    LogPage.class);
            if (page.taskStatus() != null) status = page.taskStatus();
            if (page.lines() == null || page.lines().isEmpty()) break;
            for (LogLine line : page.lines()) printLine(out, line);
            if (page.nextOffset() <= next) break; // a server bug would otherwise loop forever
            next = page.nextOffset();
        }
        out.flush();
        return exitStatus(status);
    }

    static void printLine(PrintStream out, LogLine line) {
        out.print(line.line() == null ? "\n" : line.line() + "\n");
    }

    static int exitStatus(TaskStatus status) {
        if (status == null) return ExitCodes.STILL_RUNNING;
        return switch (status) {
            case SUCCEEDED -> ExitCodes.OK;
            case FAILED, CANCELED, ERRORED, DISCARDED -> ExitCodes.TASK_FAILED;
            case PLANNED -> ExitCodes.AWAITING_CONFIRMATION;
            case QUEUED, RUNNING -> ExitCodes.STILL_RUNNING;
        };
    }
}
