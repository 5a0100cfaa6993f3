package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.agent.FakeServer.Reply;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.RegisterRequest;
import io.iacrunner.protocol.RegisterResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

final class Fixtures {
    static final String POOL_TOKEN = "pool-secret";
    static final Path TERRAFORM = Path.of(System.getenv().getOrDefault("IAC_TEST_TERRAFORM", "/usr/local/bin/terraform"));

    private Fixtures() {}

    /**
     * Registration as the server does it: the pool token is required, and each registration is a new agent
     * ({@code agent-N}, token {@code agent-token-N}).
     */
    static AtomicInteger acceptRegistrations(FakeServer server, PoolConfig pool, int pingIntervalSeconds, int leaseSeconds) {
        AtomicInteger registrations = new AtomicInteger();
        server.on("POST", ApiPaths.AGENT_REGISTER, r -> {
            if (!POOL_TOKEN.equals(r.bearer())) return Reply.error(401, "unauthorized", "bad pool token");
            int n = registrations.incrementAndGet();
            return Reply.ok(new RegisterResponse("agent-" + n, "agent-token-" + n, null, pool, pingIntervalSeconds, leaseSeconds));
        });
        return registrations;
    }

    /**
     * A stand-in for Terraform: {@code init} and {@code plan} succeed at once, {@code apply} runs {@code sleep
     * <seconds>} with SIGINT ignored, like a Terraform stuck in a provider call that does not honour a graceful stop.
     */
    static Path terraformIgnoringInterrupt(Path dir, String sleepSeconds) throws IOException {
        Path script = dir.resolve("terraform-ignoring-sigint");
        Files.writeString(script, """
                #!/bin/sh
                case "$1" in
                  apply) trap '' INT; exec sleep %s ;;
                  *) echo "fake terraform $1"; exit 0 ;;
                esac
                """.formatted(sleepSeconds));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    static Path poolTokenFile(Path dir) throws IOException {
        return Files.writeString(dir.resolve("pool-token"), POOL_TOKEN + "\n");
    }

    static AgentSession registeredSession(FakeServer server, Path dir) throws IOException, InterruptedException {
        acceptRegistrations(server, new PoolConfig("default", 2, false, Map.of()), 1, 0);
        AgentSession session = new AgentSession(java.util.List.of(server.uri()), poolTokenFile(dir),
                new RegisterRequest("test", "dev", "localhost"), SavedIdentity.none(), io.iacrunner.protocol.Transport.DEFAULT);
        assertThat(session.register(new CountDownLatch(1))).isTrue();
        return session;
    }
}
