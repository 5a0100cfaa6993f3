package io.iacrunner.agent;

import io.iacrunner.agent.load.LoadProbe;
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
 * @param adaptive whether the plan slots follow the agent's load (between 1 and the plan limit); false keeps them at
 *     the limit
 * @param loadProbe where the load is read: null for this process's cgroup and /proc (a test passes its own files)
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
        Claims claims,
        boolean adaptive,
        LoadProbe loadProbe) {

    /**
     * How task runs are executed: {@code isolation} (a bubblewrap sandbox per process, or none: an explicit opt-out);
     * {@code hooksDir} holds the {@code pre-plan}, {@code post-plan}, {@code pre-apply}, {@code post-apply}
     * executables (null: no hooks); {@code providerMirror} is a filesystem mirror Terraform installs providers from
     * instead of their registries (null: the registries); {@code sandboxReadOnly} are more paths every run sees
     * read-only (tools installed under {@code /opt}, say).
     */
    public record Runs(Isolation isolation, Path hooksDir, Path providerMirror, List<Path> sandboxReadOnly) {
        public Runs {
            sandboxReadOnly = List.copyOf(sandboxReadOnly);
        }

        /** What every task may read besides its own directory: the hooks, the provider mirror and the paths given. */
        public List<Path> readOnlyPaths() {
            return java.util.stream.Stream.concat(
                            java.util.stream.Stream.of(hooksDir, providerMirror), sandboxReadOnly.stream())
                    .filter(java.util.Objects::nonNull)
                    .map(p -> p.toAbsolutePath().normalize())
                    .distinct()
                    .toList();
        }
    }

    /**
     * What the agent claims: {@code single} takes one task, runs it and stops ({@code --single}); {@code accept} is the
     * actions it takes ({@code --accept}), enforced by the server's claim; below {@code minFreeDisk} usable bytes in the
     * work directory or the spool it claims nothing and says {@code disk_full} in its pings (0: never).
     */
    public record Claims(boolean single, Set<TaskAction> accept, long minFreeDisk) {
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
    public record Versions(
            Path dir, String defaultVersion, TerraformProduct product, Map<TerraformProduct, ReleaseMirror> mirrors) {
        public static final Versions DEFAULTS = new Versions(null, null, TerraformProduct.TERRAFORM, Map.of());

        public Versions {
            if (defaultVersion != null && !TerraformVersions.isVersion(defaultVersion)) {
                throw new IllegalArgumentException(
                        "the default Terraform version must look like 1.11.4, got " + defaultVersion);
            }
            mirrors = Map.copyOf(mirrors);
        }
    }

    /** For the server at {@code serverUrl} and the pool token in {@code tokenFile}; every other setting at its default. */
    public static Builder builder(URI serverUrl, Path tokenFile) {
        return new Builder(serverUrl, tokenFile);
    }

    /**
     * Builds an {@link AgentConfig}, each setting from its default. What the settings mean: the config's components,
     * and {@link Runs} for the isolation, hooks, provider mirror and read-only paths, {@link Claims} for single, accept
     * and the free disk.
     */
    public static final class Builder {
        private URI serverUrl;
        private final Path tokenFile;
        private String name = defaultName();
        private Path workDir = defaultWorkDir();
        private Path terraform = Path.of("terraform");
        private int localPlanLimit;
        private Duration pullWait = Duration.ofSeconds(20);
        private Duration cancelGrace = Duration.ofSeconds(30);
        private Duration drainTimeout = Duration.ofMinutes(5);
        private boolean logWebSocket = true;
        private Versions versions = Versions.DEFAULTS;
        private List<URI> otherServers = List.of();
        private Transport transport = Transport.DEFAULT;
        private Isolation isolation = Isolation.SANDBOX;
        private Path hooksDir;
        private Path providerMirror;
        private List<Path> sandboxReadOnly = List.of();
        private boolean single;
        private Set<TaskAction> accept = EnumSet.allOf(TaskAction.class);
        private long minFreeDisk = DiskSpace.DEFAULT_MIN_FREE;
        private boolean adaptive = true;
        private LoadProbe loadProbe;

        private Builder(URI serverUrl, Path tokenFile) {
            this.serverUrl = serverUrl;
            this.tokenFile = tokenFile;
        }

        public Builder serverUrl(URI value) {
            serverUrl = value;
            return this;
        }

        public Builder otherServers(List<URI> value) {
            otherServers = List.copyOf(value);
            return this;
        }

        public Builder transport(Transport value) {
            transport = value;
            return this;
        }

        public Builder name(String value) {
            name = value;
            return this;
        }

        public Builder workDir(Path value) {
            workDir = value;
            return this;
        }

        public Builder terraform(Path value) {
            terraform = value;
            return this;
        }

        public Builder versions(Versions value) {
            versions = value;
            return this;
        }

        public Builder localPlanLimit(int value) {
            localPlanLimit = value;
            return this;
        }

        public Builder pullWait(Duration value) {
            pullWait = value;
            return this;
        }

        public Builder cancelGrace(Duration value) {
            cancelGrace = value;
            return this;
        }

        public Builder drainTimeout(Duration value) {
            drainTimeout = value;
            return this;
        }

        public Builder logWebSocket(boolean value) {
            logWebSocket = value;
            return this;
        }

        public Builder isolation(Isolation value) {
            isolation = value;
            return this;
        }

        public Builder hooksDir(Path value) {
            hooksDir = value;
            return this;
        }

        public Builder providerMirror(Path value) {
            providerMirror = value;
            return this;
        }

        public Builder sandboxReadOnly(List<Path> value) {
            sandboxReadOnly = List.copyOf(value);
            return this;
        }

        public Builder single(boolean value) {
            single = value;
            return this;
        }

        public Builder accept(Set<TaskAction> value) {
            accept = value;
            return this;
        }

        public Builder minFreeDisk(long value) {
            minFreeDisk = value;
            return this;
        }

        public Builder adaptive(boolean value) {
            adaptive = value;
            return this;
        }

        public Builder loadProbe(LoadProbe value) {
            loadProbe = value;
            return this;
        }

        public AgentConfig build() {
            return new AgentConfig(
                    serverUrl,
                    tokenFile,
                    name,
                    workDir,
                    terraform,
                    localPlanLimit,
                    pullWait,
                    cancelGrace,
                    drainTimeout,
                    logWebSocket,
                    versions,
                    otherServers,
                    transport,
                    new Runs(isolation, hooksDir, providerMirror, sandboxReadOnly),
                    new Claims(single, accept, minFreeDisk),
                    adaptive,
                    loadProbe);
        }
    }

    /** Every replica the agent may talk to, the configured one first. */
    public List<URI> servers() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(serverUrl), otherServers.stream())
                .toList();
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
