package io.iacrunner.agent;

import io.iacrunner.agent.terraform.ReleaseMirror;
import io.iacrunner.agent.terraform.TerraformProduct;
import io.iacrunner.agent.terraform.TerraformVersions;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.Transport;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything an agent needs to start.
 *
 * @param tokenFile the pool token, exchanged at registration for a short-lived agent token
 * @param workDir parent of the per-task directories
 * @param terraform the Terraform binary ({@code terraform} on PATH by default)
 * @param localPlanLimit a local cap on parallel plans, a second guard below the pool's; 0 means the pool's
 * @param pullWait how long each pull may wait on the server (long poll)
 * @param cancelGrace time between SIGINT and killing Terraform's process tree on cancel
 * @param drainTimeout on shutdown, how long running tasks may go on to their end before they are canceled; zero
 *     cancels them at once
 * @param versions where task-requested Terraform versions are looked for and installed from
 * @param logWebSocket send log batches over the agent WebSocket, falling back to HTTP when it fails (the default);
 *     false sends them over HTTP only, for networks whose proxies do not pass WebSockets
 * @param otherServers more replicas of the same server, tried in order when the current one fails or shuts down
 * @param transport how the server is reached: its CA and whether plain HTTP to another machine is allowed
 * @param runs how runs are executed: the sandbox, hooks, a provider mirror
 * @param claims what the agent claims: one task only, which actions
 */
public record AgentConfig(
        URI serverUrl,
        Path tokenFile,
        String name,
        Path workDir,
        Path terraform,
        int localPlanLimit,
        Duration pullWait,
        Duration cancelGrace,
        Duration drainTimeout,
        boolean logWebSocket,
        Versions versions,
        List<URI> otherServers,
        Transport transport,
        Runs runs,
        Claims claims) {

    /**
     * How task runs are executed: {@code isolation} (a bubblewrap sandbox per process, or none: an explicit opt-out);
     * {@code hooksDir} holds the {@code pre-plan}, {@code post-plan}, {@code pre-apply}, {@code post-apply}
     * executables (null: no hooks); {@code providerMirror} is a filesystem mirror Terraform installs providers from
     * instead of their registries (null: the registries); {@code sandboxReadOnly} are more paths every run sees
     * read-only (tools installed under {@code /opt}, say).
     */
    public record Runs(Isolation isolation, Path hooksDir, Path providerMirror, List<Path> sandboxReadOnly) {
        public static final Runs DEFAULTS = new Runs(Isolation.SANDBOX, null, null, List.of());

        public Runs {
            sandboxReadOnly = List.copyOf(sandboxReadOnly);
        }

        /** What every task may read besides its own directory: the hooks, the provider mirror and the paths given. */
        public List<Path> readOnlyPaths() {
            return java.util.stream.Stream.concat(java.util.stream.Stream.of(hooksDir, providerMirror), sandboxReadOnly.stream())
                    .filter(java.util.Objects::nonNull).map(p -> p.toAbsolutePath().normalize()).distinct().toList();
        }
    }

    /**
     * What the agent claims: {@code single} takes one task, runs it and stops ({@code --single}); {@code accept} is the
     * actions it takes ({@code --accept}), enforced by the server's claim; below {@code minFreeDisk} usable bytes in the
     * work directory or the spool it claims nothing and says {@code disk_full} in its pings (0: never).
     */
    public record Claims(boolean single, Set<TaskAction> accept, long minFreeDisk) {
        public static final Claims DEFAULTS = new Claims(false, EnumSet.allOf(TaskAction.class), DiskSpace.DEFAULT_MIN_FREE);

        public Claims {
            if (accept.isEmpty()) throw new IllegalArgumentException("an agent must accept plan, plan_apply or both");
            accept = Set.copyOf(accept);
        }
    }

    /**
     * Terraform versions: {@code dir} holds installed ones (null: {@code <work-dir>/versions}); {@code defaultVersion} is
     * what a task that names none runs (null: the {@code terraform} binary as configured); {@code product} is Terraform
     * or OpenTofu; {@code mirrors} override the vendors' release sites per product.
     */
    public record Versions(Path dir, String defaultVersion, TerraformProduct product, Map<TerraformProduct, ReleaseMirror> mirrors) {
        public static final Versions DEFAULTS = new Versions(null, null, TerraformProduct.TERRAFORM, Map.of());

        public Versions {
            if (defaultVersion != null && !TerraformVersions.isVersion(defaultVersion)) {
                throw new IllegalArgumentException("the default Terraform version must look like 1.11.4, got " + defaultVersion);
            }
            mirrors = Map.copyOf(mirrors);
        }
    }

    public AgentConfig withTransport(Transport value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout,
                logWebSocket, versions, otherServers, value, runs, claims);
    }

    public static AgentConfig of(URI serverUrl, Path tokenFile) {
        return new AgentConfig(serverUrl, tokenFile, defaultName(), defaultWorkDir(), Path.of("terraform"), 0,
                Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofMinutes(5), true, Versions.DEFAULTS, List.of(),
                Transport.DEFAULT, Runs.DEFAULTS, Claims.DEFAULTS);
    }

    public AgentConfig withServerUrl(URI value) {
        return new AgentConfig(value, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withName(String value) {
        return new AgentConfig(serverUrl, tokenFile, value, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withWorkDir(Path value) {
        return new AgentConfig(serverUrl, tokenFile, name, value, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withTerraform(Path value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, value, localPlanLimit, pullWait, cancelGrace, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withLocalPlanLimit(int value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, value, pullWait, cancelGrace, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withPullWait(Duration value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, value, cancelGrace, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withCancelGrace(Duration value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, value, drainTimeout, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withDrainTimeout(Duration value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, value, logWebSocket, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withLogWebSocket(boolean value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout, value, versions, otherServers, transport, runs, claims);
    }

    public AgentConfig withVersions(Versions value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout, logWebSocket, value, otherServers, transport, runs, claims);
    }

    public AgentConfig withRuns(Runs value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout,
                logWebSocket, versions, otherServers, transport, value, claims);
    }

    public AgentConfig withIsolation(Isolation value) {
        return withRuns(new Runs(value, runs.hooksDir(), runs.providerMirror(), runs.sandboxReadOnly()));
    }

    public AgentConfig withHooksDir(Path value) {
        return withRuns(new Runs(runs.isolation(), value, runs.providerMirror(), runs.sandboxReadOnly()));
    }

    public AgentConfig withProviderMirror(Path value) {
        return withRuns(new Runs(runs.isolation(), runs.hooksDir(), value, runs.sandboxReadOnly()));
    }

    /** {@code paths} added to what every run sees read-only. */
    public AgentConfig withSandboxReadOnly(List<Path> paths) {
        List<Path> all = new java.util.ArrayList<>(runs.sandboxReadOnly());
        all.addAll(paths);
        return withRuns(new Runs(runs.isolation(), runs.hooksDir(), runs.providerMirror(), all));
    }

    public AgentConfig withMinFreeDisk(long value) {
        return withClaims(new Claims(claims.single(), claims.accept(), value));
    }

    public AgentConfig withClaims(Claims value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout,
                logWebSocket, versions, otherServers, transport, runs, value);
    }

    public AgentConfig withOtherServers(List<URI> value) {
        return new AgentConfig(serverUrl, tokenFile, name, workDir, terraform, localPlanLimit, pullWait, cancelGrace, drainTimeout, logWebSocket, versions,
                List.copyOf(value), transport, runs, claims);
    }

    /** Every replica the agent may talk to, the configured one first. */
    public List<URI> servers() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(serverUrl), otherServers.stream()).toList();
    }

    /** Where installed Terraform versions live: the configured directory, else {@code <work-dir>/versions}. */
    public Path versionsDir() {
        return versions.dir() != null ? versions.dir() : workDir.resolve("versions");
    }

    private static String defaultName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "agent";
            }
        }
        return host;
    }

    private static Path defaultWorkDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "iac-agent");
    }
}
