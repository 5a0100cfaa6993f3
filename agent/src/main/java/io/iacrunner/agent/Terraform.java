package io.iacrunner.agent;

import io.iacrunner.protocol.LogStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** How to start Terraform: which binary, with which environment, and how long a cancel may take. */
final class Terraform {
    private final Path binary;
    private final Map<String, String> agentEnvironment;
    private final Duration cancelGrace;

    Terraform(Path binary, Map<String, String> agentEnvironment, Duration cancelGrace) {
        this.binary = binary;
        this.agentEnvironment = Map.copyOf(agentEnvironment);
        this.cancelGrace = cancelGrace;
    }

    /** Starts {@code terraform <args>} in the task directory; every output line, {@code secrets} masked, goes to {@code lines}. */
    TerraformCommand start(TaskDirectory dir, BiConsumer<LogStream, String> lines, SecretMasker secrets, String... args) throws IOException {
        List<String> command = new ArrayList<>(args.length + 1);
        command.add(binary.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.path().toFile());
        builder.environment().clear();
        builder.environment().putAll(TerraformEnvironment.build(agentEnvironment, dir.path(), dir.cliConfig()));
        return TerraformCommand.start(builder, lines, secrets, cancelGrace);
    }
}
