package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "show", mixinStandardHelpOptions = true, description = "Show one task.")
public final class TaskShowCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Task id.")
    String taskId;

    @Option(names = "--json", description = "Print the task as JSON (snake_case keys, ISO-8601 timestamps).")
    boolean json;

    public TaskShowCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        TaskView task = client.client().get(ApiPaths.fill(ApiPaths.TASK, taskId), TaskView.class);
        ctx.out().print(json ? Format.json(task) + "\n" : Format.taskDetails(task));
        return ExitCodes.OK;
    }
}
