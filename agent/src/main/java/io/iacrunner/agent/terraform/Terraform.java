package io.iacrunner.agent.terraform;

import io.iacrunner.agent.logs.SecretMasker;
import io.iacrunner.protocol.LogStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/** How to start Terraform: which binary, started how ({@link Launcher}: environment, sandbox, cancel grace). */
public final class Terraform {
    private final Path binary;
    private final Launcher launcher;

    /**
     * @param binary a path, or a bare name looked up on the agent's PATH: a sandbox shows only the binary itself, at
     *     its real path, so it is resolved here rather than by the process inside
     */
    Terraform(Path binary, Map<String, String> agentEnvironment, Launcher launcher) {
        this.binary = resolve(binary, agentEnvironment);
        this.launcher = launcher;
    }

    Path binary() {
        return binary;
    }

    /** How this task's processes are started: the hooks run the same way. */
    public Launcher launcher() {
        return launcher;
    }

    /** Starts {@code terraform <args>} in the task directory; every output line, {@code secrets} masked, goes to {@code lines}. */
    public TerraformCommand start(
            TaskDirectory dir, BiConsumer<LogStream, String> lines, SecretMasker secrets, String... args)
            throws IOException {
        return launcher.start(dir, false, command(args), Map.of(), lines, secrets);
    }

    /** As {@link #start}, for {@code terraform init}: the one command that may write the shared plugin cache. */
    public TerraformCommand startInit(
            TaskDirectory dir, BiConsumer<LogStream, String> lines, SecretMasker secrets, String... args)
            throws IOException {
        return launcher.start(dir, true, command(args), Map.of(), lines, secrets);
    }

    /**
     * Runs {@code terraform <args>} for machine-readable output ({@code show -json}), which must not go to the log:
     * it may hold sensitive values. Stdout goes to {@code output} in the task directory; a failure throws with the
     * end of stderr.
     */
    public Path output(TaskDirectory dir, String output, Duration timeout, String... args)
            throws IOException, InterruptedException {
        Path out = dir.path().resolve(output);
        Path err = dir.path().resolve(output + ".stderr");
        Process process = launcher.start(launcher.builder(dir, false, command(args), Map.of())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile()));
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

    private List<String> command(String... args) {
        List<String> command = new ArrayList<>(args.length + 1);
        command.add(binary.toString());
        command.addAll(List.of(args));
        return command;
    }

    /** The binary's real path: found on PATH when it is a bare name, links followed. As given when it is not found. */
    static Path resolve(Path binary, Map<String, String> environment) {
        Path candidate = binary;
        if (binary.getParent() == null && !binary.isAbsolute()) {
            candidate = Stream.of(environment.getOrDefault("PATH", "").split(File.pathSeparator))
                    .filter(dir -> !dir.isBlank())
                    .map(dir -> Path.of(dir).resolve(binary))
                    .filter(Files::isExecutable)
                    .findFirst()
                    .orElse(binary);
        }
        try {
            return candidate.toRealPath();
        } catch (IOException e) {
            return candidate;
        }
    }
}
