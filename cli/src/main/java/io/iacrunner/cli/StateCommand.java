package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.RollbackRequest;
import io.iacrunner.protocol.StateVersionView;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "state",
        mixinStandardHelpOptions = true,
        description = "Workspace state versions.",
        subcommands = {
            StateCommand.Show.class,
            StateCommand.Versions.class,
            StateCommand.Rollback.class,
            StateCommand.Push.class
        })
public final class StateCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: show, versions, rollback or push");
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Print the workspace's current Terraform state, or one version of it (pretty JSON).")
    public static final class Show implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(
                names = "--version",
                paramLabel = "N",
                description = "A stored version (see `state versions`) instead of the current one.")
        Integer version;

        public Show(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String body;
            try {
                if (version != null && version < 1)
                    throw new UsageException("--version must be 1 or more, got " + version);
                body = client.client()
                        .getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, workspace)
                                + (version == null ? "" : "?version=" + version));
            } catch (ApiException e) {
                // The server's own message says why (no such workspace, nothing applied yet); add one when it is
                // silent.
                if (e.status() != 404
                        || (e.getMessage() != null && !e.getMessage().isBlank())) throw e;
                throw new ApiException(
                        404, e.code(), "workspace '" + workspace + "' has no state yet: no plan_apply has stored one");
            }
            try {
                JsonNode state = JsonFiles.EXACT.readTree(body);
                ctx.out()
                        .println(
                                JsonFiles.EXACT.writerWithDefaultPrettyPrinter().writeValueAsString(state));
            } catch (JsonProcessingException e) {
                throw new ApiException(
                        200,
                        ErrorCodes.BAD_REPLY,
                        "the state the server returned is not JSON: " + e.getOriginalMessage());
            }
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "versions",
            mixinStandardHelpOptions = true,
            description =
                    "List the workspace's state versions, newest first: serial, the task (or rollback) that wrote each.")
    public static final class Versions implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--json", description = "Print the versions as JSON.")
        boolean json;

        public Versions(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            StateVersionList list = client.client()
                    .get(ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, workspace), StateVersionList.class);
            List<StateVersionView> versions = list == null || list.versions() == null ? List.of() : list.versions();
            ctx.out().print(json ? Format.json(versions) + "\n" : Format.stateVersionTable(versions));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "rollback",
            mixinStandardHelpOptions = true,
            description = {
                "Make the content of an older state version current again, as a new version with a higher serial",
                "(the history is kept). Refused while an apply holds the workspace."
            })
    public static final class Rollback implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(
                names = "--to",
                paramLabel = "N",
                required = true,
                description = "The version whose content to restore.")
        int to;

        public Rollback(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            if (to < 1) throw new UsageException("--to must be 1 or more, got " + to);
            StateVersionView written = client.client()
                    .post(
                            ApiPaths.fill(ApiPaths.WORKSPACE_STATE_ROLLBACK, workspace),
                            new RollbackRequest(to),
                            StateVersionView.class);
            ctx.out()
                    .println("workspace " + workspace + ": version " + written.version() + " (serial "
                            + written.serial() + ") restores the content of version " + to);
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "push",
            mixinStandardHelpOptions = true,
            description = {
                "Import a Terraform state file (terraform.tfstate) as the workspace's new current version, as",
                "`terraform state push` does through the http backend: the workspace's lineage (the first state sets",
                "it) and a serial above the current one. Refused while the workspace is locked. Creates the workspace",
                "if it is new; needs the apply role.",
            })
    public static final class Push implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Parameters(index = "1", paramLabel = "FILE", description = "The state file.")
        Path file;

        public Push(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ObjectNode state = JsonFiles.readObject(ctx.resolve(file), "FILE");
            StateVersionView written = client.client()
                    .post(ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_STATE, workspace), state, StateVersionView.class);
            ctx.out()
                    .println("workspace " + workspace + ": version " + written.version() + " (serial "
                            + written.serial() + ", lineage " + written.lineage() + ") from " + file);
            return ExitCodes.OK;
        }
    }

    /** The server's reply to the versions list. */
    record StateVersionList(List<StateVersionView> versions) {}
}
