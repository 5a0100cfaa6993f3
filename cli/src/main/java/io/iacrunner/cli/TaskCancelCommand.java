package io.iacrunner.cli;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.TaskView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "cancel",
        mixinStandardHelpOptions = true,
        description = {
            "Cancel a task; prints its status alone on stdout. A queued task is canceled at",
            "once; a running one is stopped by its agent (SIGINT, the agent's grace period,",
            "then kill; --force: kill at once), keeps the state an interrupted apply wrote,",
            "and ends canceled.",
        })
public final class TaskCancelCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Task id.")
    String taskId;

    @Option(names = "--force", description = "Kill Terraform at once instead of letting it stop gracefully.")
    boolean force;

    public TaskCancelCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        TaskView task = client.client()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, taskId), new CancelRequest(force), TaskView.class);
        if (task == null || task.status() == null)
            throw new ApiException(200, ErrorCodes.BAD_REPLY, "the server's reply named no status");
        ctx.out().println(task.status().wireName());
        if (!task.status().isTerminal()) {
            ctx.err()
                    .println("cancel requested: the agent is stopping task " + taskId
                            + (force ? " at once" : " gracefully"));
        }
        return ExitCodes.OK;
    }
}
