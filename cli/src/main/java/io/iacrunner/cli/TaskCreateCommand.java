package io.iacrunner.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.Limits;
import io.iacrunner.protocol.RunOptions;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

@Command(
        name = "create",
        mixinStandardHelpOptions = true,
        description = "Queue a task; prints the new task id alone on stdout.")
public final class TaskCreateCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Option(
            names = "--workspace",
            required = true,
            paramLabel = "WS",
            description = "Workspace id (its state is shared by its tasks).")
    String workspace;

    @Option(
            names = "--action",
            required = true,
            paramLabel = "plan|plan_apply",
            converter = ActionConverter.class,
            description = "plan: init + plan, never changes state. plan_apply: init, plan -out, apply of that plan.")
    TaskAction action;

    @Option(
            names = "--config",
            paramLabel = "FILE.tf.json",
            description = "Terraform JSON configuration (a JSON object).")
    Path config;

    @Option(
            names = "--config-dir",
            paramLabel = "DIR",
            description =
                    "A directory of .tf / .tf.json files (modules in subfolders), sent as a tar.gz archive instead of --config.")
    Path configDir;

    @Option(
            names = "--vars",
            paramLabel = "FILE.json",
            description = "Variable values (a JSON object, like a .tfvars.json file).")
    Path vars;

    @Option(names = "--terraform-version", paramLabel = "V", description = "Terraform version the agent should use.")
    String terraformVersion;

    @Option(
            names = "--label",
            paramLabel = "KEY=VALUE",
            description =
                    "A label the task requires of the agent's pool (repeatable): it runs only on a pool that has all of them.")
    List<String> labels;

    @Option(
            names = "--sensitive-var",
            paramLabel = "NAME",
            description = "A variable (from --vars) whose value must never appear in the log (repeatable).")
    List<String> sensitiveVars;

    @Option(
            names = "--destroy",
            description = "Plan to destroy every resource of the workspace (terraform plan -destroy); a plan_apply"
                    + " then always waits for confirmation, whatever the workspace's auto-apply says.")
    boolean destroy;

    @Option(
            names = "--refresh-only",
            description = "Only bring the state up to date with the real resources (terraform plan -refresh-only).")
    boolean refreshOnly;

    @Option(
            names = "--target",
            paramLabel = "ADDR",
            description = "Plan only this resource and what it depends on (repeatable; terraform plan -target).")
    List<String> targets;

    @Option(
            names = "--replace",
            paramLabel = "ADDR",
            description = "Plan to replace this resource (repeatable; terraform plan -replace).")
    List<String> replaces;

    public TaskCreateCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (workspace.isBlank()) throw new UsageException("--workspace must not be blank");
        if ((config == null) == (configDir == null))
            throw new UsageException("give exactly one of --config and --config-dir");
        ObjectNode tfJson = config == null ? null : JsonFiles.readObject(ctx.resolve(config), "--config");
        String archive = configDir == null
                ? null
                : Base64.getEncoder().encodeToString(ConfigDirectory.archive(ctx.resolve(configDir)));
        Map<String, String> required = Labels.parse(labels, "--label");
        ObjectNode variables = vars == null ? null : JsonFiles.readObject(ctx.resolve(vars), "--vars");
        if (sensitiveVars != null) {
            for (String name : sensitiveVars) {
                if (variables == null || !variables.has(name)) {
                    throw new UsageException("--sensitive-var " + name + " is not a variable in --vars");
                }
            }
        }
        CreateTaskRequest request = new CreateTaskRequest(
                workspace,
                action,
                tfJson,
                variables,
                terraformVersion,
                required.isEmpty() ? null : required,
                sensitiveVars,
                archive,
                runOptions());
        requireWithinBodyLimit(request);
        TaskView created = client.client().post(ApiPaths.TASKS, request, TaskView.class);
        if (created == null || created.taskId() == null) {
            throw new io.iacrunner.protocol.ApiException(
                    200, ErrorCodes.BAD_REPLY, "the server's reply named no task_id");
        }
        ctx.out().println(created.taskId());
        return ExitCodes.OK;
    }

    /** The run mode asked for; null for a normal run. */
    private RunOptions runOptions() {
        if (destroy && refreshOnly) throw new UsageException("--destroy and --refresh-only exclude each other");
        RunOptions options = new RunOptions(destroy, refreshOnly, targets, replaces);
        return options.isNormal() ? null : options;
    }

    /** Refuses, before anything is sent, a task the server would refuse for its size, naming the limit. */
    private void requireWithinBodyLimit(CreateTaskRequest request) {
        long size = ApiClient.encode(request).length;
        if (size <= Limits.MAX_BODY_BYTES) return;
        String what =
                config != null ? "--config " + config : "--config-dir " + configDir + " (as a compressed archive)";
        throw new UsageException(what + (vars != null ? " with --vars " + vars : "") + " makes a request of "
                + String.format(Locale.ROOT, "%.1f MiB", size / (1024.0 * 1024)) + ", over the server's limit of "
                + Limits.maxBody() + "; nothing was sent");
    }

    static final class ActionConverter implements ITypeConverter<TaskAction> {
        @Override
        public TaskAction convert(String value) {
            try {
                return TaskAction.fromWire(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
