package io.iacrunner.bench;

import io.iacrunner.protocol.AgentPing;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PingReply;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.IacServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An agent made of bare protocol calls: registers with the pool token, pings, pulls, reports. Benchmarks use it
 * where the real agent's Terraform runs would only add noise to what they measure.
 */
final class SimulatedAgent {
    final String name;
    final String agentId;
    final ApiClient api;

    private SimulatedAgent(String name, String agentId, ApiClient api) {
        this.name = name;
        this.agentId = agentId;
        this.api = api;
    }

    static SimulatedAgent register(IacServer server, String name) throws IOException {
        return register(server, name, Files.readString(server.agentTokenFile()).trim());
    }

    /** An agent of the pool {@code poolToken} registers into. */
    static SimulatedAgent register(IacServer server, String name, String poolToken) {
        return register(server.baseUrl(), name, poolToken);
    }

    /** An agent of a server in another process, or behind a proxy, at {@code base}. */
    static SimulatedAgent register(URI base, String name, String poolToken) {
        RegisterResponse r = new ApiClient(base, () -> poolToken)
                .post(ApiPaths.AGENT_REGISTER, new RegisterRequest(name, "bench", "localhost"), RegisterResponse.class);
        String token = r.agentToken();
        return new SimulatedAgent(name, r.agentId(), new ApiClient(base, () -> token));
    }

    /**
     * Pings {@code agents} every {@code interval}, as a real agent does, so that their leases hold however long a
     * measurement takes. Closing waits for a ping in flight rather than interrupting it (that would only print a
     * spurious failure).
     */
    static AutoCloseable pingInBackground(List<SimulatedAgent> agents, Duration interval) {
        ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor();
        pinger.scheduleAtFixedRate(
                () -> agents.forEach(SimulatedAgent::ping), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return () -> {
            pinger.shutdown();
            pinger.awaitTermination(30, TimeUnit.SECONDS);
        };
    }

    void ping() {
        ping(List.of());
    }

    /**
     * A ping naming the tasks it runs: the server recovers a running task its agent does not name (one whose claim
     * the agent never got), so an agent that runs tasks while it pings must name them.
     */
    void ping(List<String> running) {
        try {
            api.post(
                    ApiPaths.AGENT_PING,
                    new AgentPing(agentId, !running.isEmpty(), running.size(), 3, false, running, 0, 0, "bench"),
                    PingReply.class);
        } catch (RuntimeException e) {
            System.err.println("bench: ping of " + name + " failed: " + e);
        }
    }

    /** One pull for up to three plans or an apply, waiting up to {@code waitSeconds} on the server. */
    PullResponse pull(int waitSeconds) {
        return api.post(
                ApiPaths.TASK_PULL,
                new PullRequest(agentId, 3, true, waitSeconds),
                PullResponse.class,
                Duration.ofSeconds(waitSeconds + 30));
    }

    /** Reports the task succeeded with {@code logLines} lines whose digest is {@code logSha256} (null: count only). */
    TaskView succeed(TaskAssignment task, long logLines, String logSha256) {
        return api.withToken(task::jobToken)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, task.taskId()),
                        new TaskResult(task.attempt(), TaskStatus.SUCCEEDED, 0, null, logLines, logSha256),
                        TaskView.class);
    }

    void deregister() {
        try {
            api.post(ApiPaths.AGENT_DEREGISTER, null, Void.class);
        } catch (RuntimeException e) {
            System.err.println("bench: deregistering " + name + " failed: " + e);
        }
    }
}
