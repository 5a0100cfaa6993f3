package io.iacrunner.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
        name = "task",
        mixinStandardHelpOptions = true,
        description = "Create, show and list tasks.",
        subcommands = {TaskCreateCommand.class, TaskShowCommand.class, TaskListCommand.class})
public final class TaskCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: create, show or list");
    }
}
