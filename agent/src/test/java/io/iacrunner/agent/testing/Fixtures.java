package io.iacrunner.agent.testing;

import io.iacrunner.agent.testing.FakeServer.Reply;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import io.iacrunner.protocol.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** What the agent's tests share: the Terraform they run, the pool token, registration as the server does it. */
public final class Fixtures {
    public static final String POOL_TOKEN = "pool-secret";
    public static final Path TERRAFORM =
            Path.of(System.getenv().getOrDefault("IAC_TEST_TERRAFORM", "/usr/local/bin/terraform"));

    private Fixtures() {}

    /**
     * Registration as the server does it: the pool token is required, and each registration is a new agent
     * ({@code agent-N}, token {@code agent-token-N}).
     */
    public static AtomicInteger acceptRegistrations(
            FakeServer server, PoolConfig pool, int pingIntervalSeconds, int leaseSeconds) {
        AtomicInteger registrations = new AtomicInteger();
        server.on("POST", ApiPaths.AGENT_REGISTER, r -> {
            if (!POOL_TOKEN.equals(r.bearer())) return Reply.error(401, "unauthorized", "bad pool token");
            int n = registrations.incrementAndGet();
            return Reply.ok(new RegisterResponse(
                    "agent-" + n, "agent-token-" + n, null, pool, pingIntervalSeconds, leaseSeconds));
        });
        return registrations;
    }

    /**
     * A stand-in for Terraform: {@code init} succeeds at once, {@code plan} at once with changes (exit code 2, as
     * {@code -detailed-exitcode} has it), {@code apply} runs {@code sleep <seconds>} with SIGINT ignored, like a
     * Terraform stuck in a provider call that does not honour a graceful stop.
     */
    public static Path terraformIgnoringInterrupt(Path dir, String sleepSeconds) throws IOException {
        Path script = dir.resolve("terraform-ignoring-sigint");
        Files.writeString(script, """
                #!/bin/sh
                case "$1" in
                  plan) echo "fake terraform plan"; exit 2 ;;
                  apply) trap '' INT; exec sleep %s ;;
                  *) echo "fake terraform $1"; exit 0 ;;
                esac
                """.formatted(sleepSeconds));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    /**
     * A stand-in for Terraform whose {@code plan} runs {@code sleep <seconds>}: plans that hold their slots as long as
     * a test needs (they end when canceled).
     */
    public static Path terraformWithSlowPlans(Path dir, String sleepSeconds) throws IOException {
        Path script = dir.resolve("terraform-slow-plans");
        Files.writeString(script, """
                #!/bin/sh
                case "$1" in
                  plan) exec sleep %s ;;
                  *) echo "fake terraform $1"; exit 0 ;;
                esac
                """.formatted(sleepSeconds));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    public static Path poolTokenFile(Path dir) throws IOException {
        return Files.writeString(dir.resolve("pool-token"), POOL_TOKEN + "\n");
    }

    /**
     * The credential of an agent registered with {@code server} (which {@link #acceptRegistrations} serves): for the
     * tests of what only needs a credential, below the agent's own session.
     */
    public static Credentials registeredCredentials(FakeServer server) {
        return new PoolTokenCredentials(server);
    }

    /** An agent token as the agent's session keeps it: from registration with the pool token, renewed the same way. */
    private static final class PoolTokenCredentials implements Credentials {
        private final ApiClient registration;
        private final ApiClient api;
        private volatile String token;
        private long generation;

        PoolTokenCredentials(FakeServer server) {
            registration = new ApiClient(List.of(server.uri()), () -> POOL_TOKEN, Transport.DEFAULT);
            api = registration.withToken(() -> token);
            register();
        }

        @Override
        public ApiClient api() {
            return api;
        }

        @Override
        public synchronized long generation() {
            return generation;
        }

        @Override
        public synchronized void renew(long generationSeen) {
            if (generation == generationSeen) register();
        }

        private synchronized void register() {
            token = registration
                    .post(
                            ApiPaths.AGENT_REGISTER,
                            new RegisterRequest("test", "dev", "localhost"),
                            RegisterResponse.class)
                    .agentToken();
            generation++;
        }
    }
}
