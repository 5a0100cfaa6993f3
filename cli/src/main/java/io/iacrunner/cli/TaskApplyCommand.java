package io.iacrunner.cli;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.TaskView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
        name = "apply",
        mixinStandardHelpOptions = true,
        description = {
            "Queue a run that applies exactly the stored plan of a plan task that succeeded",
            "(review, then apply); prints the new task id alone on stdout. If the workspace's",
            "state changed since that plan, the run ends errored (stale plan) and applies",
            "nothing. Needs the apply role.",
        })
public final class TaskApplyCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Parameters(paramLabel = "PLAN_ID", description = "The plan task whose plan to apply.")
    String planTaskId;

    public TaskApplyCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        TaskView created = client.client()
                .post(ApiPaths.fill(ApiPaths.TASK_APPLY_PLAN, planTaskId), java.util.Map.of(), TaskView.class);
        if (created == null || created.taskId() == null)
            throw new ApiException(200, ErrorCodes.BAD_REPLY, "the server's reply named no task_id");
        ctx.out().println(created.taskId());
        return ExitCodes.OK;
    }
}
