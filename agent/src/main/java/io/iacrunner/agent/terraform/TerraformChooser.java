package io.iacrunner.agent.terraform;

import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.TaskAssignment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Which Terraform (or OpenTofu) a task runs: the version it asks for (the server has filled in the workspace's when
 * the task names none), else the agent's default version, found or
 * installed by {@link TerraformVersions}; with no version named anywhere, the agent's configured binary.
 */
public final class TerraformChooser {
    private final Path defaultBinary;
    private final String defaultVersion;
    private final TerraformProduct product;
    private final TerraformVersions versions;
    private final Map<String, String> environment;
    private final Launcher launcher;

    /** @param environment the agent's, to find a binary on its PATH */
    public TerraformChooser(
            Path defaultBinary,
            String defaultVersion,
            TerraformProduct product,
            TerraformVersions versions,
            Map<String, String> environment,
            Launcher launcher) {
        this.defaultBinary = defaultBinary;
        this.defaultVersion = defaultVersion;
        this.product = product;
        this.versions = versions;
        this.environment = Map.copyOf(environment);
        this.launcher = launcher;
    }

    /** Always the one binary, without a sandbox (tests, and agents that never install); its cancel grace on {@code clock}. */
    public static TerraformChooser fixed(
            Path binary, Map<String, String> environment, Duration cancelGrace, AgentClock clock) {
        return fixed(binary, environment, Launcher.unisolated(environment, cancelGrace, clock));
    }

    /** Always the one binary, started by {@code launcher}. */
    public static TerraformChooser fixed(Path binary, Map<String, String> environment, Launcher launcher) {
        return new TerraformChooser(binary, null, TerraformProduct.TERRAFORM, null, environment, launcher);
    }

    /**
     * The Terraform {@code task} runs, found or installed now.
     *
     * @param notes progress for the task's log (an install under way, waiting for another one)
     * @throws TerraformVersionException the version cannot be had here; its message names it and where it was looked for
     */
    public Terraform forTask(TaskAssignment task, Consumer<String> notes)
            throws TerraformVersionException, InterruptedException {
        Optional<String> wanted = TerraformVersions.wanted(task.terraformVersion(), defaultVersion);
        if (wanted.isEmpty()) return new Terraform(defaultBinary, environment, launcher);
        if (versions == null) {
            throw new TerraformVersionException(product.command() + " " + wanted.get()
                    + " was asked for, but this agent runs " + defaultBinary + " only");
        }
        return new Terraform(versions.resolve(product, wanted.get(), notes), environment, launcher);
    }
}
