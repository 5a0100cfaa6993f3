package io.iacrunner.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.TestServer;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping a server: waiting long polls answer (empty) at once, and WebSockets are told to go elsewhere (1001). */
class GracefulShutdownTest {
    @Test
    void aWaitingPullAnswersAndAgentWebSocketsCloseWithGoingAwayWhenTheServerStops() throws Exception {
        TestServer server = TestServer.start(Duration.ofSeconds(20));
        var agent = server.registerAgent("drained");
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x");
        // One task the agent claims now (its log upload socket needs the claim's job token); then nothing is left
        // to claim, so the next pull keeps waiting.
        server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest("ws-drain", TaskAction.PLAN, tf, null, null, null, null, null),
                        TaskView.class);
        TaskAssignment task = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 1, true, 0), PullResponse.class)
                .tasks()
                .getFirst();
        CompletableFuture<PullResponse> waiting = CompletableFuture.supplyAsync(() -> agent.client()
                .post(
                        ApiPaths.TASK_PULL,
                        new PullRequest(agent.agentId(), 1, true, 25),
                        PullResponse.class,
                        Duration.ofSeconds(40)));
        CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        agent.job(task)
                .openWebSocket(
                        ApiPaths.WS_AGENT_LOGS + "?task_id=" + task.taskId() + "&attempt=1", new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                                closeCode.complete(statusCode);
                                return null;
                            }
                        })
                .get(10, TimeUnit.SECONDS);
        server.awaitWaitingPulls(1);

        Instant stopping = Instant.now();
        server.close();
        PullResponse answer = waiting.get(10, TimeUnit.SECONDS);
        assertThat(answer.tasks()).isEmpty();
        assertThat(Duration.between(stopping, Instant.now()))
                .as("the pull would otherwise wait 25 s")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(closeCode.get(10, TimeUnit.SECONDS))
                .as("going away: reconnect elsewhere")
                .isEqualTo(1001);
    }
}
