package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.SetVariableRequest;
import io.iacrunner.protocol.VariableList;
import io.iacrunner.protocol.VariableView;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        name = "var",
        mixinStandardHelpOptions = true,
        description = "Workspace variables: every task of the workspace gets them (a task's own override them).",
        subcommands = {VarCommand.SetVariable.class, VarCommand.ListVariables.class, VarCommand.UnsetVariable.class})
public final class VarCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: set, list or unset");
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = {
                "Create or replace a workspace variable (the workspace is created if new).",
                "A --sensitive value is encrypted at rest, masked in logs and never shown again;",
                "pass it with --value-file to keep it out of your shell history and process list.",
            })
    public static final class SetVariable implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Parameters(index = "1", paramLabel = "NAME", description = "Variable name (Terraform's identifier syntax).")
        String name;

        @Parameters(
                index = "2",
                paramLabel = "VALUE",
                arity = "0..1",
                description = "The value (a string unless --json).")
        String value;

        @Option(
                names = "--value-file",
                paramLabel = "FILE",
                description = "Read the value from FILE instead (one trailing newline dropped).")
        Path valueFile;

        @Option(names = "--sensitive", description = "Encrypt at rest, mask in logs, never show the value again.")
        boolean sensitive;

        @Option(names = "--json", description = "The value is JSON (a number, list, object...), not a string.")
        boolean json;

        public SetVariable(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            VariableView set = client.client()
                    .put(
                            ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, workspace, name),
                            new SetVariableRequest(parsed(text()), sensitive),
                            VariableView.class);
            ctx.out()
                    .println("workspace " + workspace + ": " + (set.sensitive() ? "sensitive " : "") + "variable "
                            + set.name() + " set");
            return ExitCodes.OK;
        }

        private String text() {
            if ((value == null) == (valueFile == null))
                throw new UsageException("give the value as VALUE or with --value-file, not both or neither");
            if (value != null) return value;
            try {
                String read = Files.readString(ctx.resolve(valueFile));
                return read.endsWith("\n") ? read.substring(0, read.length() - 1) : read;
            } catch (IOException e) {
                throw new UsageException("cannot read --value-file " + valueFile + ": " + Problems.describe(e));
            }
        }

        private JsonNode parsed(String text) {
            if (!json) return TextNode.valueOf(text);
            try {
                return WireJson.strict().readTree(text);
            } catch (JsonProcessingException e) {
                // Not the value itself in the message: it may be a secret.
                throw new UsageException("--json: the value is not valid JSON ("
                        + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
            }
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List a workspace's variables; sensitive values show as (sensitive).")
    public static final class ListVariables implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--json", description = "Print the list as JSON.")
        boolean json;

        public ListVariables(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            VariableList list =
                    client.client().get(ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, workspace), VariableList.class);
            if (json) {
                ctx.out().println(Format.json(list));
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (VariableView v : list.variables()) {
                rows.add(List.of(
                        v.name(),
                        v.sensitive() ? "(sensitive)" : String.valueOf(v.value()),
                        Format.shortTime(v.updatedAt())));
            }
            ctx.out().print(Format.table(List.of("NAME", "VALUE", "UPDATED"), rows));
            return ExitCodes.OK;
        }
    }

    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove a workspace variable.")
    public static final class UnsetVariable implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Parameters(index = "1", paramLabel = "NAME", description = "Variable name.")
        String name;

        public UnsetVariable(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            client.client().delete(ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLE, workspace, name));
            ctx.out().println("workspace " + workspace + ": variable " + name + " removed");
            return ExitCodes.OK;
        }
    }
}
