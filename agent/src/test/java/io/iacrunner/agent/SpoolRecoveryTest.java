package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.logs.LogSpool;
import io.iacrunner.agent.terraform.TaskDirectory;
import io.iacrunner.agent.testing.FakeLogStore;
import io.iacrunner.agent.testing.FakeServer;
import io.iacrunner.agent.testing.FakeServer.Reply;
import io.iacrunner.agent.testing.FakeServer.Request;
import io.iacrunner.agent.testing.Fixtures;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.HandBack;
import io.iacrunner.protocol.JobToken;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.StateUpload;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a restarted agent does with what a crashed run left in its work directory (a log spool, the attempt's journal,
 * the task directory with Terraform's state), against a fake server: it reports what the journal recorded, uploads
 * the state that was not stored, and leaves nothing behind; an attempt that is no longer its own is dropped without
 * a single upload sent without a credential.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpoolRecoveryTest {
    private static final PoolConfig POOL = new PoolConfig("default", 2, false, Map.of());

    @TempDir
    Path dir;

    private FakeServer server;
    private FakeLogStore logs;
    private Agent agent;
    private Path work;
    private final CountDownLatch testOver = new CountDownLatch(1);

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeServer();
        Fixtures.acceptRegistrations(server, POOL, 1, 30);
        logs = new FakeLogStore();
        server.on("POST", ApiPaths.AGENT_PING, r -> Reply.ok(new PingReply(POOL, List.of(), null, null, 30)));
        server.on("POST", ApiPaths.TASK_PULL, r -> {
            // A long poll that finds no work: held for its wait, as the server does, unless the test is over.
            testOver.await(r.as(PullRequest.class).waitSeconds(), TimeUnit.SECONDS);
            return Reply.ok(new PullResponse(List.of(), List.of()));
        });
        server.on("POST", ApiPaths.TASK_LOGS, logs);
        server.on("PUT", ApiPaths.TASK_STATE, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_RESULT, r -> Reply.ok(null));
        server.on("POST", ApiPaths.TASK_HAND_BACK, r -> Reply.ok(null));
        work = Files.createDirectories(dir.resolve("work"));
    }

    @AfterEach
    void tearDown() {
        testOver.countDown();
        if (agent != null) agent.close();
        server.close();
    }

    @Test
    void anApplyThatFinishedBeforeTheCrashIsReportedAsItFinishedWithTheStateItsRunLeft() throws Exception {
        server.on(
                "POST",
                ApiPaths.TASK_JOB_TOKEN,
                r -> Reply.ok(new JobToken("job-token", Instant.now().plusSeconds(3600))));
        leftBehind(
                "t-finished",
                List.of("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
                new TaskRunner.Outcome(TaskStatus.SUCCEEDED, 0, null, false),
                1L,
                2L);

        startAgent();

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !server.requests("POST", ApiPaths.TASK_RESULT).isEmpty());
        TaskResult result =
                server.requests("POST", ApiPaths.TASK_RESULT).getFirst().as(TaskResult.class);
        assertThat(result.status()).as("as Terraform ended, not errored").isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(result.exitCode()).isZero();
        assertThat(result.logLines()).isEqualTo(1);
        List<Request> states = server.requests("PUT", ApiPaths.TASK_STATE);
        assertThat(states).as("the state the crashed run had not stored").hasSize(1);
        assertThat(states.getFirst()
                        .as(StateUpload.class)
                        .state()
                        .path("serial")
                        .asLong())
                .isEqualTo(2);
        assertThat(logs.plainText("t-finished"))
                .containsExactly("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
        await().atMost(Duration.ofSeconds(10)).until(() -> workDirHolds().isEmpty());
    }

    @Test
    void anApplyThatDiedWithTheAgentIsReportedErroredAsKilledAfterItsPartialStateIsStored() throws Exception {
        server.on(
                "POST",
                ApiPaths.TASK_JOB_TOKEN,
                r -> Reply.ok(new JobToken("job-token", Instant.now().plusSeconds(3600))));
        leftBehind("t-died", List.of("terraform_data.x: Creating..."), null, 1L, 2L);

        startAgent();

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !server.requests("POST", ApiPaths.TASK_RESULT).isEmpty());
        TaskResult result =
                server.requests("POST", ApiPaths.TASK_RESULT).getFirst().as(TaskResult.class);
        assertThat(result.status()).isEqualTo(TaskStatus.ERRORED);
        assertThat(result.message()).isEqualTo(SpoolRecovery.RESULT_MESSAGE);
        assertThat(result.terraformKilled())
                .as("its Terraform died with the agent")
                .isTrue();
        assertThat(server.requests("PUT", ApiPaths.TASK_STATE)).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> workDirHolds().isEmpty());
    }

    @Test
    void aPlanThatDiedWithTheAgentIsHandedBackToTheQueueAfterItsLogIsUploaded() throws Exception {
        server.on(
                "POST",
                ApiPaths.TASK_JOB_TOKEN,
                r -> Reply.ok(new JobToken("job-token", Instant.now().plusSeconds(3600))));
        leftBehind(
                "t-planning",
                List.of("Terraform will perform the following actions:"),
                null,
                1L,
                null,
                TaskAction.PLAN,
                TaskPhase.PLANNING);

        startAgent();

        await().atMost(Duration.ofSeconds(20))
                .until(() -> !server.requests("POST", ApiPaths.TASK_HAND_BACK).isEmpty());
        HandBack handBack =
                server.requests("POST", ApiPaths.TASK_HAND_BACK).getFirst().as(HandBack.class);
        assertThat(handBack.attempt()).isEqualTo(1);
        assertThat(handBack.reason()).isEqualTo(SpoolRecovery.HAND_BACK_REASON);
        assertThat(server.requests("POST", ApiPaths.TASK_RESULT))
                .as("no result: the plan runs again")
                .isEmpty();
        assertThat(logs.plainText("t-planning")).containsExactly("Terraform will perform the following actions:");
        await().atMost(Duration.ofSeconds(10)).until(() -> workDirHolds().isEmpty());
    }

    @Test
    void aStaleLeftoverIsDroppedWithoutSendingAnythingWithoutACredential() throws Exception {
        server.on(
                "POST",
                ApiPaths.TASK_JOB_TOKEN,
                r -> Reply.error(409, "stale_attempt", "attempt 1 is no longer current"));
        leftBehind("t-stale", List.of("a line of an attempt given away"), null, 1L, null);

        startAgent();

        await().atMost(Duration.ofSeconds(20)).until(() -> workDirHolds().isEmpty());
        assertThat(server.requests("POST", ApiPaths.TASK_LOGS))
                .as("no upload went out")
                .isEmpty();
        assertThat(server.requests("POST", ApiPaths.TASK_RESULT)).isEmpty();
        assertThat(server.requests("PUT", ApiPaths.TASK_STATE)).isEmpty();
    }

    private void startAgent() throws Exception {
        agent = new Agent(AgentConfig.builder(server.uri(), Fixtures.poolTokenFile(dir))
                .name("restarted")
                .workDir(work)
                .terraform(Fixtures.TERRAFORM)
                .pullWait(Duration.ofSeconds(1))
                .logWebSocket(false)
                .build());
        agent.start();
    }

    /**
     * What a crashed run leaves of an apply: its spool with {@code lines}, its journal (applying; {@code outcome}
     * when Terraform had ended), and its task directory with a state of serial {@code leftSerial} (null: none).
     */
    private void leftBehind(
            String taskId, List<String> lines, TaskRunner.Outcome outcome, Long inputSerial, Long leftSerial)
            throws Exception {
        leftBehind(taskId, lines, outcome, inputSerial, leftSerial, TaskAction.PLAN_APPLY, TaskPhase.APPLYING);
    }

    /** As above, for an attempt of {@code action} that had reached {@code phase}. */
    private void leftBehind(
            String taskId,
            List<String> lines,
            TaskRunner.Outcome outcome,
            Long inputSerial,
            Long leftSerial,
            TaskAction action,
            TaskPhase phase)
            throws Exception {
        try (LogSpool spool = LogSpool.create(work, taskId, 1)) {
            for (int i = 0; i < lines.size(); i++)
                spool.append(new LogLine(i, Instant.now(), LogStream.STDOUT, lines.get(i)));
        }
        AttemptJournal journal = AttemptJournal.start(work.resolve(LogSpool.DIR), taskId, 1, action, inputSerial);
        journal.phase(TaskPhase.PLANNING);
        if (phase == TaskPhase.APPLYING) journal.phase(TaskPhase.APPLYING);
        if (outcome != null) journal.outcome(outcome);
        Path taskDir = Files.createDirectories(work.resolve(taskId + "-a1-0123456789abcdef"));
        if (leftSerial != null) {
            Files.writeString(taskDir.resolve(TaskDirectory.STATE), """
                    {"version": 4, "terraform_version": "1.11.4", "serial": %d, "lineage": "l-1", "outputs": {}, "resources": []}
                    """.formatted(leftSerial));
        }
    }

    /** What is left of crashed runs: task directories, spools and journals (not the agent's own files). */
    private List<String> workDirHolds() throws Exception {
        try (Stream<Path> top = Files.list(work);
                Stream<Path> spooled = Files.list(work.resolve(LogSpool.DIR))) {
            return Stream.concat(
                            top.filter(p -> p.getFileName().toString().startsWith("t-")),
                            spooled.filter(p -> p.getFileName().toString().startsWith("t-")))
                    .map(Path::toString)
                    .toList();
        }
    }
}
