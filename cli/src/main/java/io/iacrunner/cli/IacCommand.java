package io.iacrunner.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
        name = "iac",
        mixinStandardHelpOptions = true,
        versionProvider = IacCommand.Version.class,
        description = "iac-runner: queue Terraform runs on a server, execute them on pull-mode agents.",
        subcommands = {
            DevCommand.class,
            ServerCommand.class,
            AgentCommand.class,
            TaskCommand.class,
            LogsCommand.class,
            StateCommand.class,
            WorkspaceCommand.class,
            VarCommand.class,
            NotifyCommand.class,
            TokenCommand.class,
            AuditCommand.class,
            PoolCommand.class,
            AgentsCommand.class,
            AdminCommand.class,
            OrgCommand.class,
            OrgCommand.UserCommand.class,
            OrgCommand.TeamCommand.class,
        },
        footer = {
            "",
            "Exit status:",
            "  0  done (logs: the task succeeded)",
            "  1  logs: the task failed, was canceled or errored",
            "  2  usage error: bad arguments or an unusable input file",
            "  3  logs without --follow: the task is still queued or running",
            "  4  the server refused the request or could not be reached",
            "  5  the server or agent could not start, a server lost its embedded PostgreSQL for good,",
            "     or an internal error (IAC_DEBUG=1 shows its details)",
        })
public final class IacCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = IacCommand.class.getPackage().getImplementationVersion();
            return new String[] {"iac " + (version == null ? "(development build)" : version)};
        }
    }
}
