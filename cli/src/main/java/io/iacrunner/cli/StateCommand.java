package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "state", mixinStandardHelpOptions = true, description = "Workspace state.",
        subcommands = StateCommand.Show.class)
public final class StateCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: show");
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print the workspace's current Terraform state (pretty JSON).")
    public static final class Show implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        public Show(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String body;
            try {
                body = client.client().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, workspace));
            } catch (ApiException e) {
                // The server's own message says why (no such workspace, nothing applied yet); add one when it is silent.
                if (e.status() != 404 || (e.getMessage() != null && !e.getMessage().isBlank())) throw e;
                throw new ApiException(404, e.code(), "workspace '" + workspace + "' has no state yet: no plan_apply has stored one");
            }
            try {
                JsonNode state = JsonFiles.EXACT.readTree(body);
                ctx.out().println(JsonFiles.EXACT.writerWithDefaultPrettyPrinter().writeValueAsString(state));
            } catch (JsonProcessingException e) {
                throw new ApiException(200, "bad_reply", "the state the server returned is not JSON: " + e.getOriginalMessage());
            }
            return ExitCodes.OK;
        }
    }
}
