package io.iacrunner.agent;

import io.iacrunner.protocol.LogStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        return TerraformCommand.start(builder(dir, args), lines, secrets, cancelGrace);
    }

    /**
     * Runs {@code terraform <args>} for machine-readable output ({@code show -json}), which must not go to the log:
     * it may hold sensitive values. Stdout goes to {@code output} in the task directory; a failure throws with the
     * end of stderr.
     */
    Path output(TaskDirectory dir, String output, Duration timeout, String... args) throws IOException, InterruptedException {
        Path out = dir.path().resolve(output);
        Path err = dir.path().resolve(output + ".stderr");
        Process process = builder(dir, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        process.getOutputStream().close();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new IOException("terraform " + args[0] + " did not finish within " + timeout.toSeconds() + " s");
        }
        if (process.exitValue() != 0) {
            String stderr = Files.readString(err);
            throw new IOException("terraform " + args[0] + " exited with " + process.exitValue() + ": "
                    + stderr.substring(Math.max(0, stderr.length() - 2_000)).strip());
        }
        return out;
    }

    private ProcessBuilder builder(TaskDirectory dir, String... args) {
        List<String> command = new ArrayList<>(args.length + 1);
        command.add(binary.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.path().toFile());
        builder.environment().clear();
        builder.environment().putAll(TerraformEnvironment.build(agentEnvironment, dir.path(), dir.cliConfig(), dir.pluginCache()));
        return builder;
    }
}
