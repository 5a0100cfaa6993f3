package io.iacrunner.cli;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.ReviewRequest;
import io.iacrunner.protocol.TaskView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** A person's verdict on a planned run: confirm (apply exactly that plan) or discard. Both need the apply role. */
public final class TaskReviewCommand {
    private TaskReviewCommand() {}

    @Command(
            name = "confirm",
            mixinStandardHelpOptions = true,
            description = {
                "Apply the plan of a planned task exactly as it was reviewed: its apply is queued",
                "(on any agent), the workspace stays locked for it. Prints its status alone on",
                "stdout. Needs the apply role.",
            })
    public static final class Confirm extends Review {
        public Confirm(CliContext ctx) {
            super(ctx, ApiPaths.TASK_CONFIRM);
        }
    }

    @Command(
            name = "discard",
            mixinStandardHelpOptions = true,
            description = {
                "Drop the plan of a planned task: it ends discarded, nothing is applied, the",
                "workspace lock is released. Prints its status alone on stdout. Needs the apply role.",
            })
    public static final class Discard extends Review {
        public Discard(CliContext ctx) {
            super(ctx, ApiPaths.TASK_DISCARD);
        }
    }

    public abstract static class Review implements Callable<Integer> {
        private final CliContext ctx;
        private final String path;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "ID", description = "A planned task's id.")
        String taskId;

        @Option(names = "--comment", paramLabel = "TEXT", description = "Why; kept with the task, shown with it.")
        String comment;

        Review(CliContext ctx, String path) {
            this.ctx = ctx;
            this.path = path;
        }

        @Override
        public Integer call() {
            TaskView task =
                    client.client().post(ApiPaths.fill(path, taskId), new ReviewRequest(comment), TaskView.class);
            if (task == null || task.status() == null)
                throw new ApiException(200, ErrorCodes.BAD_REPLY, "the server's reply named no status");
            ctx.out().println(task.status().wireName());
            return ExitCodes.OK;
        }
    }
}
