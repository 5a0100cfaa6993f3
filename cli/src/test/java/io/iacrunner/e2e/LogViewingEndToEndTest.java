package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watching logs over the viewer WebSocket ({@code /ws/logs?task_id=…&offset=N}) while real Terraform runs on a real
 * agent: every line reaches a viewer exactly once and in order whenever it joins, a viewer resumes from the {@code
 * next_offset} it last got, a viewer that reads nothing never holds up the upload, a task nobody watches still
 * stores its whole log, and the values of sensitive variables reach neither the agent's spool, nor a viewer, nor
 * the stored log.
 *
 * <p>"The stored log" is the HTTP text download ({@link ApiPaths#TASK_LOG_TEXT}). Where a test needs the task to be
 * at a known point (not yet printing; printing done but still running), its provisioner waits for a gate file that
 * the test creates, instead of the test guessing how long something takes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogViewingEndToEndTest {
    private static final String AGENT = "viewing";
    /** The longest a task of these tests may take from queued to finished (init and plan included). */
    private static final Duration RUN = Duration.ofSeconds(90);
    /**
     * The server's ping interval (an agent's lease is three of them): the server's default rather than the harness's
     * 1 s, as nothing here is about liveness, and a busy machine must not cost these tasks their agent.
     */
    private static final Duration PING = Duration.ofSeconds(5);

    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, PING);
        system.startAgent(AGENT);
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void aViewerConnectingMidRunGetsEveryLineExactlyOnce() throws Exception {
        int count = 3_000;
        String id = system.createTask("logview-midrun", "plan_apply", slowlyPrinting(count));

        await("500 lines stored")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> storedLines(id).size() >= 500);
        TaskView atJoin = task(id);
        System.out.println("LogViewingEndToEndTest: mid-run viewer joined with the task " + atJoin.status() + ", "
                + atJoin.logLines() + " lines stored");

        LiveViewer viewer = LiveViewer.open(system.server.admin(), id, 0, true);
        List<ViewerFrame> frames = viewer.untilEnd(RUN);

        ViewerFrame end = frames.getLast();
        assertThat(end.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(end.exitCode()).isZero();
        List<LogLine> lines = LogChecks.linesOf(frames);
        assertThat(end.nextOffset()).as("the end frame's next_offset").isEqualTo(lines.size());
        assertEveryStoredLineOnceInOrder(id, lines);
        E2eHarness.assertProvisionerPrinted(
                LogChecks.texts(lines), count, "", "the provisioner's lines, as the viewer got them");
    }

    @Test
    void aViewerThatDisconnectsAndResumesFromItsNextOffsetGetsEveryLineExactlyOnce() throws Exception {
        int count = 3_000;
        String id = system.createTask("logview-resume", "plan_apply", slowlyPrinting(count));

        LiveViewer first = LiveViewer.open(system.server.admin(), id, 0, true);
        List<ViewerFrame> before = new ArrayList<>();
        long seen = 0;
        while (seen < 300) {
            ViewerFrame frame = first.next(RUN);
            assertThat(frame.type()).as("a frame before the first 300 lines").isEqualTo(ViewerFrame.LINES);
            before.add(frame);
            seen += frame.lines().size();
        }
        first.ws().abort(); // the connection drops; whatever it had not handed over yet is lost with it
        System.out.println("LogViewingEndToEndTest: the first viewer dropped after " + seen + " lines, the task "
                + task(id).status());
        long offset = before.getLast().nextOffset();
        assertThat(offset).as("next_offset after %d lines", seen).isEqualTo(seen);

        LiveViewer second = LiveViewer.open(system.server.admin(), id, offset, true);
        List<ViewerFrame> after = second.untilEnd(RUN);
        assertThat(after.getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<LogLine> resumed = LogChecks.linesOf(after);
        assertThat(resumed).as("lines after the reconnect").isNotEmpty();
        assertThat(resumed.getFirst().seq())
                .as("the first line after the reconnect")
                .isEqualTo(offset);

        List<LogLine> all = new ArrayList<>(LogChecks.linesOf(before));
        all.addAll(resumed);
        assertEveryStoredLineOnceInOrder(id, all);
        E2eHarness.assertProvisionerPrinted(
                LogChecks.texts(all), count, "", "the provisioner's lines, as the viewer got them");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS) // some 7 MB of log through Terraform, the agent and the server
    void aViewerThatReadsNothingDoesNotSlowTheUploadNorOtherViewers() throws Exception {
        int count = 20_000;
        // About 450 bytes of frame per line: some 9 MB that the stalled viewer never reads, well over what the
        // socket buffers hold (the server's send queue to it was seen to top out near 4 MB), so its sends really block.
        String pad = "p".repeat(300);
        Path gate = system.shared().resolve("gate-" + UUID.randomUUID());
        String marker = UUID.randomUUID().toString();
        String id = system.createTask(
                "logview-stalled",
                "plan_apply",
                E2eHarness.localExecConfig(
                        marker,
                        waitFor(gate) + "i=1; while [ $i -le " + count + " ]; do echo \"line $i " + pad
                                + "\"; i=$((i+1)); done"));

        LiveViewer stalled;
        LiveViewer normal;
        try {
            stalled = LiveViewer.open(system.server.admin(), id, 0, false);
            normal = LiveViewer.open(system.server.admin(), id, 0, true);
        } finally {
            Files.writeString(gate, "go");
        }

        TaskView ended = await("the task finished")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> task(id), t -> t.status().isTerminal());
        assertThat(stalled.textEvents())
                .as("messages the stalled viewer has read")
                .isZero();
        assertThat(ended.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(ended.logComplete())
                .as("log_complete, with the stalled viewer still connected")
                .isTrue();
        List<String> stored = storedLines(id);
        assertThat(ended.logLines()).as("log_lines").isEqualTo(stored.size());
        E2eHarness.assertProvisionerPrinted(stored, count, " " + pad, "the provisioner's lines, stored");

        List<ViewerFrame> frames = normal.untilEnd(RUN);
        assertThat(frames.getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertEveryStoredLineOnceInOrder(id, LogChecks.linesOf(frames));

        // Once the stalled viewer reads, what it gets is still gap-free from seq 0 (and whole, unless the server
        // dropped it meanwhile: a viewer that cannot take a frame for long is closed, and may reconnect).
        stalled.resume();
        List<ViewerFrame> late = stalled.untilEndOrClose(RUN);
        List<LogLine> lateLines = LogChecks.linesOf(late);
        LogChecks.assertContiguousFrom(0, lateLines, "the stalled viewer's lines once it reads");
        assertThat(LogChecks.texts(lateLines))
                .as("the stalled viewer's lines")
                .isEqualTo(stored.subList(0, lateLines.size()));
        if (!late.isEmpty() && ViewerFrame.END.equals(late.getLast().type())) {
            assertThat(lateLines)
                    .as("lines of a stalled viewer that got to the end")
                    .hasSize(stored.size());
        } else {
            System.out.println("LogViewingEndToEndTest: the server closed the stalled viewer after " + lateLines.size()
                    + " lines");
        }
    }

    @Test
    void aTaskNobodyWatchesStoresItsWholeLog() throws Exception {
        int count = 5_000;
        String id = system.createTask("logview-unwatched", "plan_apply", E2eHarness.printingConfig(count, null));

        TaskView ended = await("the task finished")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> task(id), t -> t.status().isTerminal());
        assertThat(ended.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(ended.logComplete()).as("log_complete").isTrue();
        String text = system.logText(id);
        assertThat(ended.logLines()).as("log_lines").isEqualTo(text.lines().count());
        E2eHarness.assertProvisionerPrinted(
                Arrays.asList(text.split("\n")), count, "", "the provisioner's lines, stored");
        assertThat(E2eHarness.plain(text)).contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    }

    @Test
    void sensitiveValuesReachNeitherTheSpoolNorAViewerNorTheStoredLog() throws Exception {
        String password = "hunter2-correct-horse";
        String key = "-----BEGIN KEY-----\nAAAAfirstlineofkey\nBBBBsecondlineofkey\n-----END KEY-----";
        String[] secrets = {password, "AAAAfirstlineofkey", "BBBBsecondlineofkey"};
        Path gate = system.shared().resolve("gate-" + UUID.randomUUID());

        ObjectNode config = WireJson.lenient().createObjectNode();
        ObjectNode variables = config.putObject("variable");
        variables.putObject("db_password").put("type", "string"); // not sensitive to Terraform: it prints them
        variables.putObject("tls_key").put("type", "string");
        ObjectNode exec = config.putObject("resource")
                .putObject("terraform_data")
                .putObject("secret")
                .put("input", "secret-" + UUID.randomUUID())
                .putObject("provisioner")
                .putObject("local-exec");
        exec.put(
                "command",
                "echo pw=${var.db_password}\nprintf '%s\\n' \"${var.tls_key}\"\n" + waitFor(gate) + "echo done");
        ObjectNode values = WireJson.lenient()
                .createObjectNode()
                .put("db_password", password)
                .put("tls_key", key);

        E2eHarness.CliResult created = system.cli(
                "task",
                "create",
                "--workspace",
                "logview-secrets",
                "--action",
                "plan_apply",
                "--config",
                system.file("secrets-" + UUID.randomUUID() + ".tf.json", config.toString())
                        .toString(),
                "--vars",
                system.file("secrets-" + UUID.randomUUID() + ".json", values.toString())
                        .toString(),
                "--sensitive-var",
                "db_password",
                "--sensitive-var",
                "tls_key");
        assertThat(created.exit()).as(created.err()).isZero();
        String id = created.out().trim();
        LiveViewer viewer = LiveViewer.open(system.server.admin(), id, 0, true);

        // The provisioner has printed both values and now waits for the gate: the attempt is running, its spool exists.
        await("the provisioner printed the values")
                .atMost(RUN)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> E2eHarness.plain(system.logText(id)).contains("(local-exec): pw="));
        Path spool = system.workDir(AGENT).resolve("spool");
        List<Path> spooled;
        try (Stream<Path> files = Files.walk(spool)) {
            spooled = files.filter(Files::isRegularFile).toList();
        }
        assertThat(spooled)
                .as("files in the agent's spool while the task runs")
                .anySatisfy(f -> assertThat(f.getFileName().toString())
                        .startsWith(id + ".a")
                        .endsWith(".jsonl"));
        try {
            for (Path file : spooled) {
                String content = Files.readString(file);
                assertThat(content).as("spool file %s", file).doesNotContain(secrets);
                // Every file there (the attempt's journal, the disk reserve) is free of secrets; the log spool holds
                // the lines.
                if (file.getFileName().toString().startsWith(id + ".a")
                        && file.toString().endsWith(".jsonl")) {
                    List<String> spooledLines = new ArrayList<>();
                    for (String json : content.lines().toList()) {
                        spooledLines.add(E2eHarness.plain(WireJson.lenient()
                                .readValue(json, LogLine.class)
                                .line()));
                    }
                    for (String line : spooledLines)
                        assertThat(line).as("a line in spool file %s", file).doesNotContain(secrets);
                    assertThat(spooledLines)
                            .as("spool file %s holds the masked line", file)
                            .contains("terraform_data.secret (local-exec): pw=***");
                }
            }
            assertThat(task(id).status())
                    .as("the task while its spool was read")
                    .isEqualTo(TaskStatus.RUNNING);
        } finally {
            Files.writeString(gate, "go");
        }

        List<ViewerFrame> frames = viewer.untilEnd(RUN);
        assertThat(frames.getLast().status()).isEqualTo(TaskStatus.SUCCEEDED);
        List<String> watched = LogChecks.texts(LogChecks.linesOf(frames));
        for (String line : watched)
            assertThat(E2eHarness.plain(line)).as("a line the viewer got").doesNotContain(secrets);
        assertThat(E2eHarness.plain(String.join("\n", watched))).contains("(local-exec): pw=***");

        String stored = E2eHarness.plain(system.logText(id));
        assertThat(stored)
                .as("the stored log")
                .doesNotContain(secrets)
                .contains("***")
                .contains("(local-exec): pw=***")
                .contains("(local-exec): done");
        assertThat(watched).as("what the viewer got is the stored log").isEqualTo(storedLines(id));
        TaskView ended = task(id);
        assertThat(ended.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(ended.logComplete()).isTrue();

        await("the attempt's spool and journal deleted once it reported")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    try (Stream<Path> files = Files.list(spool)) {
                        return files.noneMatch(f -> f.getFileName().toString().startsWith(id + ".a"));
                    }
                });
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** {@code count} numbered lines, 50 at a time with 0.1 s in between: about {@code count / 500} seconds. */
    private static String slowlyPrinting(int count) {
        return E2eHarness.localExecConfig(
                UUID.randomUUID().toString(),
                "i=1; while [ $i -le " + count + " ]; do echo \"line $i\"; "
                        + "if [ $((i % 50)) -eq 0 ]; then sleep 0.1; fi; i=$((i+1)); done");
    }

    /** Shell that waits until {@code gate} exists (at most 90 s, so a failed test cannot block the agent for ever). */
    private static String waitFor(Path gate) {
        return "n=0; while [ ! -e '" + gate.toAbsolutePath()
                + "' ] && [ $n -lt 900 ]; do sleep 0.1; n=$((n+1)); done\n";
    }

    private static TaskView task(String id) {
        return LogChecks.task(system.server.admin(), id);
    }

    private static List<String> storedLines(String id) {
        return LogChecks.storedLines(system.server.admin(), id);
    }

    private static void assertEveryStoredLineOnceInOrder(String id, List<LogLine> lines) {
        LogChecks.assertEveryStoredLineOnceInOrder(system.server.admin(), id, lines);
    }
}
