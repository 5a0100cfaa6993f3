package io.iacrunner.agent.sandbox;

import io.iacrunner.protocol.Isolation;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How the processes of a task are started: in a sandbox ({@link Bubblewrap}) or, when the operator opted out, as
 * plain children of the agent ({@link NoIsolation}). Everything that starts a task's process (Terraform, hooks) goes
 * through here.
 */
public interface ProcessIsolation {
    /** What {@code --isolation none} costs, said at start and shown by the server for as long as the agent runs. */
    String NO_SANDBOX_WARNING =
            "--isolation none: tasks run as the agent's own user without a sandbox; any configuration"
                    + " (a local-exec, a provider) can read this agent's identity and token, its log spool, and the variables,"
                    + " sensitive ones included, of every task running beside it";

    /**
     * The isolation the agent was asked for. A sandbox is tried first: an agent that cannot start one refuses to
     * start ({@link SandboxUnavailableException}) rather than run configurations beside its credentials.
     *
     * @param workDir must not be inside what every sandbox sees
     */
    static ProcessIsolation of(Isolation wanted, Path workDir, Map<String, String> environment) {
        if (wanted == Isolation.NONE) {
            org.slf4j.LoggerFactory.getLogger(ProcessIsolation.class).warn("WARNING: {}", NO_SANDBOX_WARNING);
            return NoIsolation.INSTANCE;
        }
        Bubblewrap.requireOutsideSystemPaths(workDir, "the work directory");
        return Bubblewrap.verified(environment);
    }

    Isolation kind();

    /**
     * A builder that runs {@code command} with exactly {@code environment}, in the task directory, seeing what
     * {@code mounts} allows.
     */
    ProcessBuilder builder(List<String> command, Map<String, String> environment, SandboxMounts mounts);

    /**
     * The process a graceful stop (SIGINT) is sent to: the command itself, which may not be the process Java started
     * (a sandbox's own processes sit in between). Empty when it has already ended or has not started yet.
     */
    java.util.Optional<ProcessHandle> command(Process started);
}
