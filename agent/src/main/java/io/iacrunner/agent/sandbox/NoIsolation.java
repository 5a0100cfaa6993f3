package io.iacrunner.agent.sandbox;

import io.iacrunner.protocol.Isolation;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code --isolation none}: the task's processes are plain children of the agent, running as its user. They get the
 * built environment and nothing else from the agent, but they can read whatever the agent's user can: the agent's
 * identity, its spool, other tasks' directories, {@code /proc/<agent>/environ}. Only for machines where bubblewrap
 * cannot run and every configuration is trusted.
 */
public final class NoIsolation implements ProcessIsolation {
    public static final NoIsolation INSTANCE = new NoIsolation();

    private NoIsolation() {}

    @Override
    public Isolation kind() {
        return Isolation.NONE;
    }

    @Override
    public ProcessBuilder builder(List<String> command, Map<String, String> environment, SandboxMounts mounts) {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(mounts.taskDir().toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        return builder;
    }

    @Override
    public Optional<ProcessHandle> command(Process started) {
        return started.isAlive() ? Optional.of(started.toHandle()) : Optional.empty();
    }
}
