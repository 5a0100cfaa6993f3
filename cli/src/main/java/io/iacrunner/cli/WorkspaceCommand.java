package io.iacrunner.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.HttpBackendSettings;
import io.iacrunner.protocol.UnlockRequest;
import io.iacrunner.protocol.Weights;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "workspace",
        mixinStandardHelpOptions = true,
        description = "Workspaces: their lock, current state and settings.",
        subcommands = {WorkspaceCommand.Show.class, WorkspaceCommand.Set.class, WorkspaceCommand.Unlock.class})
public final class WorkspaceCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: show, set or unlock");
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = {
                "Show a workspace: who holds its lock (a running plan_apply, a lost one, or a local",
                "Terraform run), its current state version, and the settings of Terraform's http backend",
                "for it (--json: http_backend).",
            })
    public static final class Show implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--json", description = "Print the workspace as JSON.")
        boolean json;

        public Show(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            WorkspaceView view = client.client().get(ApiPaths.fill(ApiPaths.WORKSPACE, workspace), WorkspaceView.class);
            HttpBackendSettings backend = HttpBackendSettings.of(client.serverUrl(), client.org(), workspace);
            if (!json) {
                ctx.out().print(Format.workspaceDetails(view, backend));
                return ExitCodes.OK;
            }
            ObjectNode out = WireJson.lenient().valueToTree(view);
            out.set("http_backend", WireJson.lenient().valueToTree(backend));
            ctx.out().print(Format.json(out) + "\n");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = {
                "Set a workspace's settings (the workspace is created if new); those not given stay as they are.",
                "Its tasks run --terraform-version unless they name one; its runs may take --max-run-time",
                "(like 20s, 30m, 2h) before they are stopped and end errored. An empty value clears a",
                "setting: the agent's default version, the pool's run time. --auto-apply false makes a",
                "plan_apply stop after its plan, planned, until someone confirms or discards it.",
            })
    public static final class Set implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(
                names = "--terraform-version",
                paramLabel = "VERSION",
                description = "e.g. 1.11.4; '' for the agent's default.")
        String terraformVersion;

        @Option(
                names = "--max-run-time",
                paramLabel = "DURATION",
                description =
                        "e.g. 30m; '' for the pool's. Past it a run is stopped (SIGINT, grace, kill) and ends errored.")
        String maxRunTime;

        @Option(
                names = "--auto-apply",
                paramLabel = "true|false",
                arity = "1",
                description = "true: a plan_apply applies its plan at once; false: it waits for task confirm.")
        Boolean autoApply;

        @Option(
                names = "--pool",
                paramLabel = "POOL",
                description = "The pool its tasks run on (one granted to it; ORG/POOL for a shared one); '' for any.")
        String pool;

        @Option(
                names = "--max-plans-running",
                paramLabel = "N",
                description = "The most of its plans running at once; 0 for no limit.")
        Integer maxPlansRunning;

        @Option(
                names = "--weight",
                paramLabel = "N",
                description = "Its share of its organisation's capacity under fair scheduling, 1.." + Weights.MAX + ".")
        Integer weight;

        public Set(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            if (terraformVersion == null
                    && maxRunTime == null
                    && autoApply == null
                    && pool == null
                    && maxPlansRunning == null
                    && weight == null) {
                throw new UsageException("workspace set needs --terraform-version, --max-run-time, --auto-apply,"
                        + " --pool, --max-plans-running or --weight");
            }
            if (weight != null && !Weights.valid(weight))
                throw new UsageException("--weight must be 1.." + Weights.MAX + ", got " + weight);
            String runTime = maxRunTime == null || maxRunTime.isBlank()
                    ? null
                    : RunTimeOption.parse(maxRunTime, "--max-run-time");
            // The server replaces all settings at once: the ones not given are kept as they are now.
            WorkspaceSettings current = current();
            String version = terraformVersion == null
                    ? current.terraformVersion()
                    : terraformVersion.isBlank() ? null : terraformVersion.trim();
            WorkspaceView view = client.client()
                    .put(
                            ApiPaths.fill(ApiPaths.WORKSPACE, workspace),
                            new WorkspaceSettings(
                                    version,
                                    maxRunTime == null ? current.maxRunTime() : runTime,
                                    autoApply,
                                    pool,
                                    maxPlansRunning,
                                    weight),
                            WorkspaceView.class);
            ctx.out()
                    .println("workspace " + view.workspaceId() + ": terraform_version "
                            + (view.terraformVersion() == null
                                    ? "cleared (the agent's default)"
                                    : view.terraformVersion())
                            + ", max_run_time " + (view.maxRunTime() == null ? "the pool's" : view.maxRunTime())
                            + ", auto_apply " + view.autoApply()
                            + (view.pool() == null ? "" : ", pool " + view.pool())
                            + (view.maxPlansRunning() == null ? "" : ", max_plans_running " + view.maxPlansRunning())
                            + (view.weight() > 1 ? ", weight " + view.weight() : ""));
            return ExitCodes.OK;
        }

        /** The workspace's settings now; none for a workspace that does not exist yet (set creates it). */
        private WorkspaceSettings current() {
            try {
                WorkspaceView view =
                        client.client().get(ApiPaths.fill(ApiPaths.WORKSPACE, workspace), WorkspaceView.class);
                return new WorkspaceSettings(view.terraformVersion(), view.maxRunTime());
            } catch (ApiException e) {
                if (e.status() == 404) return new WorkspaceSettings(null, null);
                throw e;
            }
        }
    }

    @Command(
            name = "unlock",
            mixinStandardHelpOptions = true,
            description = {
                "Release a workspace's lock. Needs --force: a lock held by an apply whose agent",
                "was lost means resources may exist that no stored state records. Check the",
                "infrastructure and the task's log first.",
            })
    public static final class Unlock implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--force", description = "Unlock although resources may exist that no state records.")
        boolean force;

        public Unlock(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            if (!force) {
                throw new UsageException("workspace unlock needs --force: the lock may be held for an apply that was"
                        + " lost with its agent, so resources may exist that no stored state records; check them (and"
                        + " the task's log) before unlocking, or the next apply may create them twice");
            }
            client.client()
                    .post(ApiPaths.fill(ApiPaths.WORKSPACE_UNLOCK, workspace), new UnlockRequest(true), Void.class);
            ctx.out().println("workspace " + workspace + " unlocked");
            return ExitCodes.OK;
        }
    }
}
