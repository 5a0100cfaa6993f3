package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.load.TaskProcesses;
import io.iacrunner.agent.logs.LogSpool;
import io.iacrunner.agent.sandbox.ProcessIsolation;
import io.iacrunner.agent.terraform.CliConfig;
import io.iacrunner.agent.terraform.Hooks;
import io.iacrunner.agent.terraform.Launcher;
import io.iacrunner.agent.terraform.TerraformChooser;
import io.iacrunner.agent.terraform.TerraformEnvironment;
import io.iacrunner.agent.testing.FakeLogStore;
import io.iacrunner.agent.testing.FakeServer;
import io.iacrunner.agent.testing.FakeServer.Reply;
import io.iacrunner.agent.testing.FakeServer.Request;
import io.iacrunner.agent.testing.Fixtures;
import io.iacrunner.agent.testing.ManualClock;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.JobToken;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The task runner against real Terraform ({@code terraform_data} and {@code local-exec}: no provider downloads). */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TaskRunnerTest {
    private static final Duration GRACE = Duration.ofSeconds(3);
    /** The uid a sandboxed process runs as: nobody. */
    private static final int SANDBOX_USER = 65534;

    private static final Pattern LOCAL_EXEC_OUTPUT = Pattern.compile("\\(local-exec\\): (.*)$");

    @TempDir
    Path dir;

    private FakeServer server;
    private FakeLogStore logs;
    private AgentSession session;
    private WorkDir workDir;
    /** The runners' clock: the system's, but for the tests that step time. */
    private AgentClock clock = AgentClock.system();

    @BeforeEach
    void setUp() throws Exception {
        assertThat(Fixtures.TERRAFORM).as("these tests need Terraform").isExecutable();
        server = new FakeServer();
        session = registeredSession();
        logs = new FakeLogStore();
        server.on("POST", ApiPaths.TASK_LOGS, logs);
        server.on("POST", ApiPaths.TASK_PHASE, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_PLAN, r -> Reply.ok(null));
        server.on("PUT", ApiPaths.TASK_STATE, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_RESULT, r -> Reply.ok(null));
        workDir = WorkDir.open(dir.resolve("work"), 0);
    }

    private AgentSession registeredSession() throws Exception {
        Fixtures.acceptRegistrations(server, new PoolConfig("default", 2, false, Map.of()), 1, 0);
        AgentSession registered = new AgentSession(
                List.of(server.uri()),
                Fixtures.poolTokenFile(dir),
                new RegisterRequest("test", "dev", "localhost"),
                SavedIdentity.none(),
                Transport.DEFAULT,
                AgentClock.system());
        assertThat(registered.register(new CountDownLatch(1))).isTrue();
        return registered;
    }

    @AfterEach
    void tearDown() {
        workDir.close();
        server.close();
    }

    private TaskRunner runner(TaskAssignment task) {
        return runner(task, Fixtures.TERRAFORM);
    }

    private TaskRunner runner(TaskAssignment task, Path terraform) {
        return runner(task, terraform, GRACE);
    }

    private TaskRunner runner(TaskAssignment task, Path terraform, Duration grace) {
        return new TaskRunners(
                        session,
                        workDir,
                        TerraformChooser.fixed(terraform, System.getenv(), grace, clock),
                        false,
                        clock)
                .runner(task);
    }

    /** With the job token a claim brings: {@code job-<id>}, valid for an hour. */
    private static TaskAssignment task(String id, TaskAction action, String tfJson, String variables, String state)
            throws IOException {
        return new TaskAssignment(
                id,
                1,
                "ws-1",
                action,
                null,
                json(tfJson),
                json(variables),
                json(state),
                null,
                0,
                null,
                "job-" + id,
                Instant.now().plus(Duration.ofHours(1)));
    }

    private static ObjectNode json(String text) throws IOException {
        return text == null ? null : (ObjectNode) FakeServer.JSON.readTree(text);
    }

    private static String localExec(String command) {
        return """
                {"resource":{"terraform_data":{"x":{"provisioner":{"local-exec":{"command":"%s"}}}}}}""".formatted(command);
    }

    private List<TaskPhase> phases(String taskId) {
        return server.requests("POST", ApiPaths.TASK_PHASE).stream()
                .filter(r -> r.path().contains(taskId))
                .map(r -> r.as(PhaseUpdate.class))
                .peek(p -> assertThat(p.attempt()).isEqualTo(1))
                .map(PhaseUpdate::phase)
                .toList();
    }

    private List<StateUpload> stateUploads() {
        return server.requests("PUT", ApiPaths.TASK_STATE).stream()
                .map(r -> r.as(StateUpload.class))
                .toList();
    }

    private TaskResult onlyResult() {
        List<Request> results = server.requests("POST", ApiPaths.TASK_RESULT);
        assertThat(results).hasSize(1);
        assertThat(results.getFirst().bearer())
                .as("uploads carry the attempt's job token")
                .startsWith("job-");
        return results.getFirst().as(TaskResult.class);
    }

    /** What local-exec printed, in order, without Terraform's prefix and colours. */
    private List<String> localExecOutput(String taskId) {
        return logs.plainText(taskId).stream()
                .map(LOCAL_EXEC_OUTPUT::matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1))
                .toList();
    }

    /** Neither the task's directory nor its log spool outlives the attempt. */
    private void assertNoTaskDirectoryLeft() throws IOException {
        try (Stream<Path> entries = Files.list(workDir.root())) {
            assertThat(entries.filter(Files::isDirectory)
                            .filter(p -> !Set.of(
                                            workDir.spoolDir(),
                                            workDir.pluginCache().dir())
                                    .contains(p)))
                    .isEmpty();
        }
        Path spools = workDir.root().resolve(LogSpool.DIR);
        if (Files.isDirectory(spools)) {
            try (Stream<Path> entries = Files.list(spools)) {
                assertThat(entries).as("log spools left").isEmpty();
            }
        }
    }

    @Test
    void planApplyReportsBothPhasesUploadsStateShipsOutputInOrderAndSucceeds() throws Exception {
        TaskAssignment task = task(
                "t-apply", TaskAction.PLAN_APPLY, localExec("for i in $(seq 1 50); do echo line-$i; done"), null, null);

        runner(task).run();

        assertThat(phases("t-apply")).containsExactly(TaskPhase.PLANNING, TaskPhase.APPLYING);
        assertThat(stateUploads()).singleElement().satisfies(upload -> {
            assertThat(upload.attempt()).isEqualTo(1);
            assertThat(upload.state().path("serial").asLong()).isGreaterThanOrEqualTo(1);
            assertThat(upload.state().path("resources").get(0).path("type").asText())
                    .isEqualTo("terraform_data");
        });
        assertThat(localExecOutput("t-apply"))
                .containsSubsequence(
                        IntStream.rangeClosed(1, 50).mapToObj(i -> "line-" + i).toList());
        assertThat(localExecOutput("t-apply").stream().filter(l -> l.matches("line-\\d+")))
                .hasSize(50);
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.exitCode()).isZero();
        assertThat(result.logLines()).isEqualTo(logs.stored("t-apply").size());
        assertThat(logs.stored("t-apply")).extracting(LogLine::stream).doesNotContain(LogStream.SYSTEM);
        assertThat(String.join(
                        "\n", logs.stored("t-apply").stream().map(LogLine::line).toList()))
                .as("colours are kept")
                .contains("\u001B[");
        assertNoTaskDirectoryLeft();
    }

    @Test
    void planOnlyUsesTheVariablesAndNeitherAppliesNorUploadsState() throws Exception {
        TaskAssignment task = task("t-plan", TaskAction.PLAN, """
                {"variable":{"greeting":{"type":"string"}},
                 "output":{"g":{"value":"${var.greeting}"}},
                 "resource":{"terraform_data":{"x":{"provisioner":{"local-exec":{"command":"echo provisioned"}}}}}}""", """
                {"greeting":"hello-from-variables"}""", null);

        runner(task).run();

        assertThat(phases("t-plan")).containsExactly(TaskPhase.PLANNING);
        assertThat(stateUploads()).isEmpty();
        assertThat(logs.plainText("t-plan")).anySatisfy(l -> assertThat(l).contains("hello-from-variables"));
        assertThat(localExecOutput("t-plan")).isEmpty();
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.logLines()).isEqualTo(logs.stored("t-plan").size());
        assertNoTaskDirectoryLeft();
    }

    @Test
    void aPlanApplyWithNothingToDoReportsAnEmptyPlanSkipsTheApplyAndUploadsNoState() throws Exception {
        String state = """
                {"version":4,"terraform_version":"1.11.4","serial":7,"lineage":"5a1d7d7e-93c4-4f1c-a1c8-3a0e2f5b9c11",
                 "outputs":{},"resources":[],"check_results":null}""";
        TaskAssignment task = task("t-noop", TaskAction.PLAN_APPLY, "{}", null, state);

        runner(task).run();

        assertThat(phases("t-noop")).containsExactly(TaskPhase.PLANNING);
        assertThat(server.requests("POST", ApiPaths.TASK_PLAN))
                .singleElement()
                .satisfies(r -> assertThat(r.as(PlanReport.class).summary().hasChanges())
                        .isFalse());
        assertThat(stateUploads()).isEmpty();
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.message()).isEqualTo("no changes: apply skipped");
        assertThat(logs.plainText("t-noop"))
                .contains("the plan has no changes: apply skipped")
                .noneMatch(l -> l.contains("Apply complete"));
    }

    @Test
    void aTerraformVersionTheAgentCannotHaveErrorsTheTaskNamingTheVersionAndRunsNothing() throws Exception {
        TaskAssignment task = new TaskAssignment(
                "t-version",
                1,
                "ws-1",
                TaskAction.PLAN,
                "9.9.9",
                json(localExec("echo hi")),
                null,
                null,
                null,
                0,
                null,
                "job-t-version",
                Instant.now().plus(Duration.ofHours(1)));

        runner(task).run();

        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(result.message()).contains("terraform 9.9.9");
        assertThat(phases("t-version")).isEmpty();
        assertThat(logs.plainText("t-version")).anyMatch(l -> l.contains("terraform 9.9.9"));
    }

    @Test
    void thePlanReportsWhatItWouldAddChangeAndDestroy() throws Exception {
        runner(task("t-summary", TaskAction.PLAN, localExec("echo hi"), null, null))
                .run();

        PlanSummary summary = server.requests("POST", ApiPaths.TASK_PLAN)
                .getFirst()
                .as(PlanReport.class)
                .summary();
        assertThat(summary.add()).containsExactly("terraform_data.x");
        assertThat(summary.change()).isEmpty();
        assertThat(summary.destroy()).isEmpty();
    }

    @Test
    void brokenConfigurationFailsWithTerraformsExitCodeAndError() throws Exception {
        TaskAssignment task = task("t-broken", TaskAction.PLAN_APPLY, """
                {"output":{"x":{"value":"${terraform_data.missing.id}"}}}""", null, null);

        runner(task).run();

        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(result.exitCode()).isNotNull().isNotZero();
        assertThat(result.message()).contains("terraform plan");
        assertThat(logs.stored("t-broken"))
                .filteredOn(l -> l.stream() == LogStream.STDERR)
                .anySatisfy(l -> assertThat(l.line()).contains("undeclared resource"));
        assertThat(result.logLines()).isEqualTo(logs.stored("t-broken").size());
        assertThat(phases("t-broken")).containsExactly(TaskPhase.PLANNING);
        assertThat(stateUploads()).isEmpty();
        assertNoTaskDirectoryLeft();
    }

    /**
     * A test double for Terraform, since real inits of built-in resources finish too fast to overlap: its init records
     * when it starts and ends and which plugin cache it was given, and takes long enough that parallel tasks would
     * overlap if nothing serialized them.
     */
    @Test
    void parallelTasksShareOnePluginCacheAndTheirInitsTakeTurns() throws Exception {
        Path record = dir.resolve("inits.log");
        Path script = dir.resolve("terraform-recording-inits");
        Files.writeString(script, """
                #!/bin/sh
                case "$1" in
                  init) echo "start $(date +%%s%%N) $TF_PLUGIN_CACHE_DIR" >> %1$s; sleep 0.3; echo "end $(date +%%s%%N)" >> %1$s ;;
                  *) exit 0 ;;
                esac
                """.formatted(record));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        List<TaskRunner> runners = new ArrayList<>();
        for (int i = 0; i < 3; i++)
            runners.add(runner(task("t-init-" + i, TaskAction.PLAN, localExec("true"), null, null), script));

        List<Thread> threads =
                runners.stream().map(r -> Thread.ofPlatform().start(r::run)).toList();
        for (Thread t : threads) t.join(Duration.ofSeconds(60));

        List<String> lines = Files.readAllLines(record);
        assertThat(lines).hasSize(6);
        for (int i = 0; i < lines.size(); i += 2) {
            // Serialized: every start is directly followed by its own end, never by another start.
            assertThat(lines.get(i))
                    .startsWith("start ")
                    .endsWith(" " + workDir.pluginCache().dir());
            assertThat(lines.get(i + 1)).startsWith("end ");
            assertThat(Long.parseLong(lines.get(i + 1).split(" ")[1]))
                    .isGreaterThan(Long.parseLong(lines.get(i).split(" ")[1]));
        }
        assertThat(server.requests("POST", ApiPaths.TASK_RESULT))
                .hasSize(3)
                .allSatisfy(r -> assertThat(r.as(TaskResult.class).status()).isEqualTo(TaskStatus.SUCCEEDED));
        assertThat(Stream.of("t-init-0", "t-init-1", "t-init-2").flatMap(id -> logs.plainText(id).stream()))
                .as("the waits were said in the logs")
                .filteredOn(l -> l.contains("waiting for another task's terraform init"))
                .isNotEmpty();
    }

    @Test
    void everyUploadCarriesTheJobTokenAndOneAboutToExpireIsReplacedWithTheAgentToken() throws Exception {
        server.on(
                "POST",
                ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, "t-renew"),
                r -> "agent-token-1".equals(r.bearer())
                        ? Reply.ok(new JobToken("job-renewed", Instant.now().plus(Duration.ofHours(1))))
                        : Reply.error(401, "unauthorized", "job tokens are asked for with the agent token"));
        TaskAssignment claimed = task("t-renew", TaskAction.PLAN, localExec("echo renewed"), null, null);
        TaskAssignment expiring =
                claimed.withJobToken("job-expiring", Instant.now().plus(Duration.ofMinutes(5)));

        runner(expiring).run();

        assertThat(onlyResult().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<Request> uploads = Stream.of(ApiPaths.TASK_PHASE, ApiPaths.TASK_LOGS, ApiPaths.TASK_RESULT)
                .flatMap(path -> server.requests("POST", path).stream())
                .toList();
        assertThat(uploads).isNotEmpty().allSatisfy(r -> assertThat(r.bearer()).isEqualTo("job-renewed"));
        assertThat(server.requests("POST", ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, "t-renew")))
                .hasSize(1);
    }

    @Test
    void aRefusedJobTokenIsReplacedOnceAndTheUploadRepeated() throws Exception {
        server.on(
                "POST",
                ApiPaths.fill(ApiPaths.TASK_JOB_TOKEN, "t-refused"),
                r -> Reply.ok(new JobToken("job-second", Instant.now().plus(Duration.ofHours(1)))));
        server.on(
                "POST",
                ApiPaths.TASK_RESULT,
                r -> "job-second".equals(r.bearer())
                        ? Reply.ok(null)
                        : Reply.error(401, "unauthorized", "token expired"));

        runner(task("t-refused", TaskAction.PLAN, localExec("echo refused"), null, null))
                .run();

        List<Request> results = server.requests("POST", ApiPaths.TASK_RESULT);
        assertThat(results).extracting(Request::bearer).containsExactly("job-t-refused", "job-second");
    }

    @Test
    void terraformSeesOnlyTheBuiltEnvironmentWithTheTaskDirectoryAsHome() throws Exception {
        TaskAssignment task = task("t-env", TaskAction.PLAN_APPLY, localExec("env; stat -c 'mode %a' ."), null, null);

        runner(task).run();

        assertThat(onlyResult().status()).isEqualTo(TaskStatus.SUCCEEDED);
        Map<String, String> printed = new HashMap<>();
        for (String line : localExecOutput("t-env")) {
            Matcher m = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)=(.*)$").matcher(line);
            if (m.matches()) printed.put(m.group(1), m.group(2));
        }
        Set<String> allowed = new HashSet<>(
                TerraformEnvironment.build(System.getenv(), dir, dir, dir).keySet());
        allowed.addAll(Set.of("PWD", "OLDPWD", "SHLVL", "_")); // what the shell itself sets
        assertThat(printed.keySet())
                .contains("HOME", "TF_IN_AUTOMATION", "TF_CLI_CONFIG_FILE")
                .isSubsetOf(allowed);
        assertThat(Path.of(printed.get("HOME")).getParent()).isEqualTo(workDir.root());
        assertThat(Path.of(printed.get("HOME")).getFileName().toString()).startsWith("t-env-a1-");
        assertThat(printed.get("TF_CLI_CONFIG_FILE")).isEqualTo(printed.get("HOME") + "/.terraformrc");
        assertThat(printed.get("TF_PLUGIN_CACHE_DIR"))
                .isEqualTo(workDir.pluginCache().dir().toString());
        assertThat(localExecOutput("t-env")).as("the task directory is private").contains("mode 700");
        // The JVM running this test has variables outside the allowlist (JAVA_HOME, at least); none got through.
        Set<String> withheld = new HashSet<>(System.getenv().keySet());
        withheld.removeAll(allowed);
        assertThat(withheld).isNotEmpty();
        assertThat(printed.keySet()).doesNotContainAnyElementsOf(withheld);
        assertThat(logs.plainText("t-env"))
                .noneSatisfy(l -> assertThat(l).contains("Unable to open CLI configuration file"));
    }

    @Test
    void cancelInterruptsTheApplyWithinTheGracePeriodLeavesNoProcessAndUploadsTheState() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        TaskRunner runner = runner(task("t-cancel", TaskAction.PLAN_APPLY, localExec("sleep " + marker), null, null));
        Thread thread = Thread.ofPlatform().start(runner::run);

        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);
        long canceledAt = System.nanoTime();
        assertThat(runner.cancel("the user asked", false)).isTrue();
        thread.join(GRACE.plusSeconds(20).toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - canceledAt)).isLessThan(GRACE.plusSeconds(5));
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).isEqualTo("canceled during terraform apply: the user asked");
        assertThat(result.logLines()).isEqualTo(logs.stored("t-cancel").size());
        assertThat(logs.plainText("t-cancel")).anySatisfy(l -> assertThat(l).contains("Interrupt received"));
        assertThat(stateUploads()).as("an interrupted apply's state is kept").hasSize(1);
        assertThat(processesWith(marker)).isZero();
        assertNoTaskDirectoryLeft();
    }

    /** A runner whose commands run in the bubblewrap sandbox, as an agent's do by default. */
    private TaskRunner sandboxed(TaskAssignment task, Path... readOnly) {
        return sandboxed(task, Hooks.in(null), readOnly);
    }

    private TaskRunner sandboxed(TaskAssignment task, Hooks hooks, Path... readOnly) {
        Map<String, String> env = System.getenv();
        Launcher launcher = new Launcher(
                ProcessIsolation.of(Isolation.SANDBOX, workDir.root(), env),
                env,
                GRACE,
                List.of(readOnly),
                hooks,
                clock,
                new TaskProcesses());
        return new TaskRunners(
                        session, workDir, TerraformChooser.fixed(Fixtures.TERRAFORM, env, launcher), false, clock)
                .runner(task);
    }

    private Path hook(Path hooks, String name, String script) throws IOException {
        Path hook = Files.writeString(Files.createDirectories(hooks).resolve(name), "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        return hook;
    }

    @Test
    void hooksRunInTheSandboxAroundTheirPhasesWithTheirLinesMarkedAndAFailingPreApplyStopsTheRunBeforeTheApply()
            throws Exception {
        Path hooks = dir.resolve("hooks");
        hook(
                hooks,
                "pre-plan",
                "echo \"pre-plan for $IAC_TASK_ID ($IAC_ACTION, attempt $IAC_ATTEMPT) in $(pwd) as $(id -u)\"; ls main.tf.json");
        hook(hooks, "post-plan", "echo planned; ls plan.out; echo to stderr >&2");
        hook(hooks, "pre-apply", "echo 'refusing: change freeze'; exit 3");
        hook(hooks, "post-apply", "echo never");

        sandboxed(task("t-hooks", TaskAction.PLAN_APPLY, localExec("echo applied"), null, null), Hooks.in(hooks), hooks)
                .run();

        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.message()).isEqualTo("the pre-apply hook exited with code 3");
        assertThat(phases("t-hooks")).as("the apply never began").containsExactly(TaskPhase.PLANNING);
        assertThat(stateUploads()).isEmpty();
        List<String> log = logs.plainText("t-hooks");
        assertThat(log)
                .anySatisfy(l -> assertThat(l)
                        .matches(
                                "\\[pre-plan hook\\] pre-plan for t-hooks \\(plan_apply, attempt 1\\) in .*/t-hooks-a1-[0-9a-f]{16} as "
                                        + SANDBOX_USER));
        assertThat(log)
                .contains(
                        "[pre-plan hook] main.tf.json",
                        "[post-plan hook] planned",
                        "[post-plan hook] plan.out",
                        "[post-plan hook] to stderr",
                        "[pre-apply hook] refusing: change freeze",
                        "the pre-apply hook exited with code 3: the run fails here, before terraform apply");
        assertThat(log).noneSatisfy(l -> assertThat(l).contains("applied"));
        assertThat(log).noneSatisfy(l -> assertThat(l).contains("never"));
        assertThat(log.indexOf("[post-plan hook] planned")).isGreaterThan(log.indexOf("[pre-plan hook] main.tf.json"));
        assertNoTaskDirectoryLeft();
    }

    @Test
    void aPostApplyHookRunsAfterASuccessfulApplyAndItsFailureFailsTheRunWithTheStateKept() throws Exception {
        Path hooks = dir.resolve("hooks-post");
        hook(hooks, "post-apply", "test -s terraform.tfstate && echo state-written; exit 1");

        sandboxed(task("t-post", TaskAction.PLAN_APPLY, localExec("echo applied"), null, null), Hooks.in(hooks), hooks)
                .run();

        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(result.message()).isEqualTo("the post-apply hook exited with code 1");
        assertThat(logs.plainText("t-post")).contains("[post-apply hook] state-written");
        assertThat(stateUploads())
                .as("the apply's state is stored whatever the hook says")
                .hasSize(1);
    }

    /**
     * Terraform 1.4+ ignores the plugin cache for providers a lock file does not list, unless told otherwise: a run
     * without a lock file (the usual task) must still be served from the cache. Proven offline with a provider from a
     * filesystem mirror: a stand-in executable, since init installs a provider without running it (the plan, which
     * would start it, fails; only init matters here).
     */
    @Test
    void thePluginCacheServesProvidersToRunsWithoutALockFile() throws Exception {
        Path mirror = dir.resolve("mirror");
        Path platform = Files.createDirectories(mirror.resolve("registry.terraform.io/example/fake/1.0.0/linux_amd64"));
        Path standIn = Files.writeString(platform.resolve("terraform-provider-fake_v1.0.0"), "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));
        workDir.close();
        workDir = WorkDir.open(dir.resolve("work-mirrored"), 0, CliConfig.of(mirror));
        String config =
                "{\"terraform\": {\"required_providers\": {\"fake\": {\"source\": \"example/fake\", \"version\": \"1.0.0\"}}}}";

        sandboxed(task("t-cache-1", TaskAction.PLAN, config, null, null), mirror)
                .run();
        sandboxed(task("t-cache-2", TaskAction.PLAN, config, null, null), mirror)
                .run();

        assertThat(String.join("\n", logs.plainText("t-cache-1")))
                .as("the first run installs from the mirror")
                .contains("Installing example/fake v1.0.0");
        assertThat(String.join("\n", logs.plainText("t-cache-2")))
                .as("the second, without a lock file, uses the cache")
                .contains("Using example/fake v1.0.0 from the shared cache directory")
                .doesNotContain("Installing example/fake");
        assertThat(workDir.pluginCache().dir().resolve("registry.terraform.io/example/fake/1.0.0/linux_amd64"))
                .as("written by init, in the sandbox")
                .exists();
    }

    @Test
    void inTheSandboxTerraformRunsInItsTaskDirectoryAndCannotWriteTheCacheOrReadTheWorkDirectory() throws Exception {
        Path cache = workDir.pluginCache().dir();
        TaskAssignment task = task(
                "t-sandboxed",
                TaskAction.PLAN_APPLY,
                localExec("id -u; pwd; echo TMP=$TMPDIR; ls " + workDir.root() + "; touch " + cache.resolve("poisoned")
                        + " || echo cache-is-read-only"),
                "{\"region\": \"eu\"}",
                null);

        sandboxed(task).run();

        assertThat(onlyResult().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<String> printed = localExecOutput("t-sandboxed");
        assertThat(printed).contains(Integer.toString(SANDBOX_USER), "TMP=/tmp", "cache-is-read-only");
        assertThat(printed)
                .anySatisfy(l -> assertThat(l)
                        .startsWith(workDir.root().resolve("t-sandboxed-a1-").toString()));
        assertThat(printed)
                .as("the work directory shows the cache and this task only")
                .noneSatisfy(l -> assertThat(l).isIn(LogSpool.DIR, ".agent.lock"));
        assertThat(cache.resolve("poisoned")).doesNotExist();
        assertThat(stateUploads()).hasSize(1);
        assertNoTaskDirectoryLeft();
    }

    @Test
    void aRunPastItsMaxRunTimeIsStoppedLikeACancelAndEndsErroredSayingSo() throws Exception {
        ManualClock time = new ManualClock();
        clock = time;
        String marker = "300." + System.nanoTime() % 1_000_000;
        TaskAssignment task = task(
                        "t-timeout",
                        TaskAction.PLAN_APPLY,
                        localExec("(sleep " + marker + " &) ; sleep " + marker),
                        null,
                        null)
                .withMaxRunSeconds(4);
        Thread thread = Thread.ofPlatform().start(sandboxed(task)::run);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) >= 2);

        time.advance(Duration.ofMillis(3500));
        await().until(() ->
                time.waitingFor(Duration.ofMillis(500))); // the deadline has looked again: half a second left
        assertThat(thread.isAlive()).as("not stopped before its time").isTrue();
        long overAt = System.nanoTime();
        time.advance(Duration.ofMillis(500));
        thread.join(GRACE.plusSeconds(20).toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - overAt))
                .as("stopped at the limit, by SIGINT")
                .isLessThan(GRACE);
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(result.message()).isEqualTo("timed out after 4s (its max_run_time): stopped during terraform apply");
        assertThat(logs.plainText("t-timeout"))
                .anySatisfy(l -> assertThat(l).startsWith("timed out after 4s: the run's max_run_time (4s) is over"));
        assertThat(logs.plainText("t-timeout")).anySatisfy(l -> assertThat(l).contains("Interrupt received"));
        assertThat(stateUploads()).as("the interrupted apply's state is kept").hasSize(1);
        await().atMost(Duration.ofSeconds(3)).until(() -> processesWith(marker) == 0);
        assertNoTaskDirectoryLeft();
    }

    @Test
    void aRunWithinItsMaxRunTimeIsUntouched() throws Exception {
        sandboxed(task("t-in-time", TaskAction.PLAN_APPLY, localExec("echo quick"), null, null)
                        .withMaxRunSeconds(120))
                .run();
        assertThat(onlyResult().status()).isEqualTo(TaskStatus.SUCCEEDED);
    }

    @Test
    void inTheSandboxACancelInterruptsTerraformItselfAndLeavesNoProcess() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        TaskRunner runner = sandboxed(task(
                "t-sandbox-cancel",
                TaskAction.PLAN_APPLY,
                localExec("(sleep " + marker + " &) ; sleep " + marker),
                null,
                null));
        Thread thread = Thread.ofPlatform().start(runner::run);

        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) >= 2);
        long canceledAt = System.nanoTime();
        assertThat(runner.cancel("the user asked", false)).isTrue();
        thread.join(GRACE.plusSeconds(20).toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - canceledAt))
                .as("Terraform heard the SIGINT")
                .isLessThan(GRACE);
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(logs.plainText("t-sandbox-cancel"))
                .anySatisfy(l -> assertThat(l).contains("Interrupt received"));
        assertThat(stateUploads()).as("an interrupted apply's state is kept").hasSize(1);
        await().atMost(Duration.ofSeconds(3)).until(() -> processesWith(marker) == 0); // the double-forked sleep too
        assertNoTaskDirectoryLeft();
    }

    @Test
    void aRepeatedCancelChangesNothingButAForcedOneKillsAPendingGracefulCancelAtOnce() throws Exception {
        ManualClock time = new ManualClock();
        clock = time;
        String marker = "300." + System.nanoTime() % 1_000_000;
        Duration longGrace = Duration.ofSeconds(60);
        TaskRunner runner = runner(
                task("t-upgrade", TaskAction.PLAN_APPLY, "{}", null, null),
                Fixtures.terraformIgnoringInterrupt(dir, marker),
                longGrace);
        Thread thread = Thread.ofPlatform().start(runner::run);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);

        assertThat(runner.cancel("the user asked", false)).isTrue();
        await().until(() -> time.waitingFor(longGrace)); // SIGINT is sent: the cancel waits out its grace
        assertThat(processesWith(marker)).as("SIGINT is ignored").isPositive();
        assertThat(runner.cancel("asked again", false))
                .as("a second graceful cancel")
                .isFalse();
        long forcedAt = System.nanoTime();
        assertThat(runner.cancel("the user insisted", true))
                .as("a forced cancel upgrades the pending one")
                .isTrue();
        assertThat(runner.cancel("and again", true)).isFalse();
        thread.join(longGrace.toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - forcedAt)).isLessThan(Duration.ofSeconds(10));
        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(result.message()).isEqualTo("canceled during terraform apply: the user asked");
        assertThat(result.logLines()).isEqualTo(logs.stored("t-upgrade").size());
        assertThat(processesWith(marker)).isZero();
        assertNoTaskDirectoryLeft();
    }

    @Test
    void aDroppedAttemptKillsTerraformAtOnceReportsNothingAndKeepsItsSpoolAndJournalForTheNextStart() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        TaskRunner runner = runner(
                task("t-drop", TaskAction.PLAN_APPLY, localExec("sleep " + marker), null, null),
                Fixtures.TERRAFORM,
                Duration.ofSeconds(60));
        Thread thread = Thread.ofPlatform().start(runner::run);
        await().atMost(Duration.ofSeconds(30)).until(() -> processesWith(marker) > 0);
        logs.outage.set(Integer.MAX_VALUE); // the server is gone: nothing could be delivered any more

        long droppedAt = System.nanoTime();
        runner.drop("the agent is shutting down and the task could not report in time");
        thread.join(Duration.ofSeconds(20).toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - droppedAt)).isLessThan(Duration.ofSeconds(10));
        assertThat(server.requests("POST", ApiPaths.TASK_RESULT)).isEmpty();
        assertThat(stateUploads()).isEmpty();
        assertThat(processesWith(marker)).isZero();
        try (Stream<Path> spooled = Files.list(workDir.spoolDir())) {
            assertThat(spooled.map(p -> p.getFileName().toString()))
                    .as("what the next start of the agent delivers")
                    .contains("t-drop.a1.jsonl", "t-drop.a1" + AttemptJournal.SUFFIX);
        }
        assertThat(AttemptJournal.leftover(workDir.spoolDir(), "t-drop", 1).entry())
                .get()
                .satisfies(e -> assertThat(e.phase()).isEqualTo(TaskPhase.APPLYING));
    }

    @Test
    void staleAttemptStopsTerraformAndReportsNoResult() throws Exception {
        String marker = "300." + System.nanoTime() % 1_000_000;
        AtomicBoolean applying = new AtomicBoolean();
        server.on("POST", ApiPaths.TASK_PHASE, r -> {
            if (r.as(PhaseUpdate.class).phase() == TaskPhase.APPLYING) applying.set(true);
            return Reply.ok(null);
        });
        // Once the apply is under way, the server hands the task to another attempt.
        AtomicBoolean refused = new AtomicBoolean();
        server.on("POST", ApiPaths.TASK_LOGS, r -> {
            if (!applying.get() || processesWith(marker) == 0) return logs.handle(r);
            refused.set(true);
            return Reply.error(409, "stale_attempt", "attempt 1 is no longer current");
        });
        TaskRunner runner = runner(task("t-stale", TaskAction.PLAN_APPLY, localExec("sleep " + marker), null, null));
        Thread thread = Thread.ofPlatform().start(runner::run);

        // Not the sleep itself: the runner kills it within moments of the refusal, which a poll may miss.
        await().atMost(Duration.ofSeconds(30)).untilTrue(refused);
        thread.join(GRACE.plusSeconds(20).toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(server.requests("POST", ApiPaths.TASK_RESULT)).isEmpty();
        assertThat(stateUploads()).isEmpty();
        assertThat(processesWith(marker)).isZero();
        assertNoTaskDirectoryLeft();
    }

    @Test
    void refusedStateUploadMakesTheTaskErroredAndSaysSoInTheLog() throws Exception {
        server.on("PUT", ApiPaths.TASK_STATE, r -> Reply.error(409, "state_conflict", "lineage does not match"));
        TaskAssignment task = task("t-conflict", TaskAction.PLAN_APPLY, localExec("echo hi"), null, null);

        runner(task).run();

        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(result.exitCode()).isZero();
        assertThat(result.message()).contains("state_conflict").contains("lineage does not match");
        assertThat(logs.stored("t-conflict"))
                .filteredOn(l -> l.stream() == LogStream.SYSTEM)
                .singleElement()
                .satisfies(l -> assertThat(l.line()).contains("state_conflict"));
        assertThat(result.logLines()).isEqualTo(logs.stored("t-conflict").size());
    }

    @Test
    void missingTerraformBinaryIsReportedAsErroredWithASystemLine() throws Exception {
        TaskAssignment task = task("t-nobinary", TaskAction.PLAN, "{}", null, null);

        runner(task, dir.resolve("no-such-terraform")).run();

        TaskResult result = onlyResult();
        assertThat(result.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(result.exitCode()).isNull();
        assertThat(result.message()).contains("no-such-terraform");
        assertThat(logs.stored("t-nobinary")).singleElement().satisfies(l -> {
            assertThat(l.stream()).isEqualTo(LogStream.SYSTEM);
            assertThat(l.line()).contains("no-such-terraform");
        });
        assertThat(result.logLines()).isEqualTo(1);
        assertNoTaskDirectoryLeft();
    }

    private static long processesWith(String marker) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(marker))
                .count();
    }
}
