package io.iacrunner.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
        name = "task",
        mixinStandardHelpOptions = true,
        description = "Create, show, list, cancel, confirm, discard and apply tasks.",
        subcommands = {
            TaskCreateCommand.class,
            TaskShowCommand.class,
            TaskListCommand.class,
            TaskCancelCommand.class,
            TaskReviewCommand.Confirm.class,
            TaskReviewCommand.Discard.class,
            TaskApplyCommand.class
        })
public final class TaskCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(), "missing command: create, show, list, cancel, confirm, discard or apply");
    }
}
