package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/** Real applies that print numbered lines, and the checks that every line arrived once, for the tests of faults. */
final class Applies {
    private Applies() {}

    /** An apply that prints {@code lines} numbered lines ("line 1" …) in 20 bursts {@code pause} seconds apart. */
    static ObjectNode printing(String marker, int lines, String pause) throws IOException {
        int burst = lines / 20;
        String command = "for b in $(seq 0 19); do seq $((b*" + burst + "+1)) $((b*" + burst + "+" + burst
                + ")) | sed 's/^/line /'; sleep " + pause + "; done";
        return (ObjectNode) WireJson.lenient().readTree(E2eHarness.localExecConfig(marker, command));
    }

    static String create(ApiClient admin, String workspace, ObjectNode config) {
        return admin.post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(workspace, TaskAction.PLAN_APPLY, config, null, null, null, null, null),
                        TaskView.class)
                .taskId();
    }

    static TaskView task(ApiClient admin, String id) {
        return admin.get(ApiPaths.fill(ApiPaths.TASK, id), TaskView.class);
    }

    static TaskView awaitEnd(ApiClient admin, String id, Duration limit) {
        return await().atMost(limit)
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> task(admin, id), t -> t.status().isTerminal());
    }

    /**
     * Every numbered line once, in order (compared as text: Terraform itself may split a slow line, see
     * {@link E2eHarness#assertProvisionerPrinted}); the count and the digest agree three ways (agent, store, download);
     * the apply ran to its end.
     */
    static void assertExactLog(ApiClient admin, TaskView done, int lines) throws Exception {
        String log = admin.getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, done.taskId()));
        E2eHarness.assertProvisionerPrinted(log.lines().toList(), lines, "", "the stored log");
        assertThat(log.lines().count()).isEqualTo(done.logLines());
        assertThat(done.logComplete())
                .as("the agent's count and SHA-256 match the store")
                .isTrue();
        assertThat(sha256(log)).as("the download's digest is the server's").isEqualTo(done.logSha256());
        assertThat(E2eHarness.plain(log)).contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    }

    static String sha256(String text) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
