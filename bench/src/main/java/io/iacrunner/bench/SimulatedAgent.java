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
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    /** The tasks it holds: its pings list them, as a real agent's do, or the server would take them back. */
    private final Set<String> holding = ConcurrentHashMap.newKeySet();

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
        RegisterResponse r = new ApiClient(server.baseUrl(), () -> poolToken)
                .post(ApiPaths.AGENT_REGISTER, new RegisterRequest(name, "bench", "localhost"), RegisterResponse.class);
        String token = r.agentToken();
        return new SimulatedAgent(name, r.agentId(), new ApiClient(server.baseUrl(), () -> token));
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
        try {
            api.post(
                    ApiPaths.AGENT_PING,
                    new AgentPing(agentId, false, 0, 3, false, List.copyOf(holding), 0, 0, "bench"),
                    PingReply.class);
        } catch (RuntimeException e) {
            System.err.println("bench: ping of " + name + " failed: " + e);
        }
    }

    /** One pull for up to three plans or an apply, waiting up to {@code waitSeconds} on the server. */
    PullResponse pull(int waitSeconds) {
        return held(api.post(
                ApiPaths.TASK_PULL,
                new PullRequest(agentId, 3, true, waitSeconds),
                PullResponse.class,
                Duration.ofSeconds(waitSeconds + 30)));
    }

    /** One pull as {@code request} asks. */
    PullResponse pull(PullRequest request) {
        return held(api.post(ApiPaths.TASK_PULL, request, PullResponse.class));
    }

    private PullResponse held(PullResponse response) {
        response.tasks().forEach(t -> holding.add(t.taskId()));
        return response;
    }

    /** Reports the task succeeded with {@code logLines} lines whose digest is {@code logSha256} (null: count only). */
    TaskView succeed(TaskAssignment task, long logLines, String logSha256) {
        TaskView done = api.withToken(task::jobToken)
                .post(
                        ApiPaths.fill(ApiPaths.TASK_RESULT, task.taskId()),
                        new TaskResult(task.attempt(), TaskStatus.SUCCEEDED, 0, null, logLines, logSha256),
                        TaskView.class);
        holding.remove(task.taskId());
        return done;
    }

    void deregister() {
        try {
            api.post(ApiPaths.AGENT_DEREGISTER, null, Void.class);
        } catch (RuntimeException e) {
            System.err.println("bench: deregistering " + name + " failed: " + e);
        }
    }
}
