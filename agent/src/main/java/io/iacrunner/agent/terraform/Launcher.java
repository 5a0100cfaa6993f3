package io.iacrunner.agent.terraform;

import io.iacrunner.agent.load.TaskProcesses;
import io.iacrunner.agent.logs.SecretMasker;
import io.iacrunner.agent.sandbox.NoIsolation;
import io.iacrunner.agent.sandbox.ProcessIsolation;
import io.iacrunner.agent.sandbox.SandboxMounts;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.Isolation;
import io.iacrunner.protocol.LogStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Starts the processes of a task (Terraform and the hooks) the one way: with the built environment
 * ({@link TerraformEnvironment}), in the task directory, through the agent's {@link ProcessIsolation}, and stopped
 * within the cancel grace.
 */
public final class Launcher {
    private final ProcessIsolation isolation;
    private final Map<String, String> agentEnvironment;
    private final Duration cancelGrace;
    private final List<Path> readOnly;
    private final Hooks hooks;
    private final AgentClock clock;
    private final TaskProcesses processes;

    /**
     * @param readOnly paths every task may read besides its own (the hooks, a provider mirror)
     * @param clock what the cancel grace is timed on
     * @param processes where every process started is counted while it runs
     */
    public Launcher(
            ProcessIsolation isolation,
            Map<String, String> agentEnvironment,
            Duration cancelGrace,
            List<Path> readOnly,
            Hooks hooks,
            AgentClock clock,
            TaskProcesses processes) {
        this.isolation = isolation;
        this.agentEnvironment = Map.copyOf(agentEnvironment);
        this.cancelGrace = cancelGrace;
        this.readOnly = List.copyOf(readOnly);
        this.hooks = hooks;
        this.clock = clock;
        this.processes = processes;
    }

    public Hooks hooks() {
        return hooks;
    }

    /** No sandbox: tests of what does not depend on it, and {@code --isolation none}. */
    static Launcher unisolated(Map<String, String> agentEnvironment, Duration cancelGrace, AgentClock clock) {
        return new Launcher(
                NoIsolation.INSTANCE, agentEnvironment, cancelGrace, List.of(), Hooks.NONE, clock, new TaskProcesses());
    }

    /**
     * Every task sees {@code readOnly}: none of them may hold the work directory, or every task would read the agent's
     * identity, spool and sibling tasks through it.
     */
    public static void requireApart(Path workDir, List<Path> readOnly) {
        Path work = workDir.toAbsolutePath().normalize();
        for (Path path : readOnly) {
            Path shown = path.toAbsolutePath().normalize();
            if (work.startsWith(shown)) {
                throw new IllegalArgumentException(
                        shown + " (shown read-only to every task) holds the work directory " + work
                                + ", and with it the agent's identity and the other tasks' directories; keep them apart");
            }
        }
    }

    Isolation isolation() {
        return isolation.kind();
    }

    /**
     * Starts {@code command}; every output line, {@code secrets} masked, goes to {@code lines}.
     *
     * @param writesCache true for {@code terraform init} only: the one step allowed to write the plugin cache
     * @param extraEnvironment added to the built environment (a hook's name, say)
     */
    public TerraformCommand start(
            TaskDirectory dir,
            boolean writesCache,
            List<String> command,
            Map<String, String> extraEnvironment,
            BiConsumer<LogStream, String> lines,
            SecretMasker secrets)
            throws IOException {
        Process process = start(builder(dir, writesCache, command, extraEnvironment));
        return TerraformCommand.of(process, isolation, lines, secrets, cancelGrace, clock);
    }

    /** Starts a process of the task built by {@link #builder} and counts it among the tasks' processes. */
    Process start(ProcessBuilder builder) throws IOException {
        Process process = builder.start();
        processes.started(process);
        return process;
    }

    /** A builder for a process of the task whose output the caller handles itself ({@code show -json}). */
    ProcessBuilder builder(
            TaskDirectory dir, boolean writesCache, List<String> command, Map<String, String> extraEnvironment) {
        Map<String, String> environment = new TreeMap<>(
                TerraformEnvironment.build(agentEnvironment, dir.path(), dir.cliConfig(), dir.pluginCache()));
        environment.putAll(extraEnvironment);
        List<Path> visible = new java.util.ArrayList<>(readOnly);
        visible.add(Path.of(command.getFirst())); // the executable itself, wherever it lives
        return isolation.builder(
                command, environment, new SandboxMounts(dir.path(), dir.pluginCache(), writesCache, visible));
    }
}
