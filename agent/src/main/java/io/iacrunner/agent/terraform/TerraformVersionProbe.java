package io.iacrunner.agent.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks a binary which version it is: {@code <binary> version -json}, whose {@code terraform_version} both Terraform
 * and OpenTofu fill in. The answer is remembered per file (path, inode, size, mtime), so a task does not start a
 * process for every candidate on every resolution, and a binary replaced in place is asked again.
 */
final class TerraformVersionProbe {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_OUTPUT = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Versions before 0.13 have no {@code -json} and print {@code Terraform v0.12.31}. */
    private static final Pattern TEXT_VERSION = Pattern.compile("^(?:Terraform|OpenTofu) v(\\S+)");

    /** What a binary said: its version, or why there is none. */
    record Answer(String version, String problem) {
        static Answer of(String version) {
            return new Answer(version, null);
        }

        static Answer problem(String problem) {
            return new Answer(null, problem);
        }

        boolean matches(String wanted) {
            return version != null && version.equals(wanted);
        }

        /** For messages: "reports 1.11.4", or the problem. */
        String describe() {
            return version != null ? "reports " + version : problem;
        }
    }

    private record Remembered(Object fileKey, long size, FileTime modified, Answer answer) {}

    private final Map<String, String> environment;
    private final Path workingDirectory;
    private final Duration timeout;
    private final ConcurrentHashMap<Path, Remembered> answers = new ConcurrentHashMap<>();

    /**
     * @param agentEnvironment filtered as for Terraform itself ({@link TerraformEnvironment}), with an empty CLI
     *     config: the agent's own config, or a warning about a missing one, has no business in a version check
     * @param workingDirectory the processes' working and home directory
     */
    TerraformVersionProbe(Map<String, String> agentEnvironment, Path workingDirectory, Duration timeout) {
        this.environment = TerraformEnvironment.build(agentEnvironment, workingDirectory, Path.of("/dev/null"), null);
        this.workingDirectory = workingDirectory;
        this.timeout = timeout;
    }

    Answer probe(Path binary) throws InterruptedException {
        Path key = binary.toAbsolutePath().normalize();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(key, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return Answer.problem("does not exist");
        } catch (IOException e) {
            return Answer.problem("cannot be read: " + e.getMessage());
        }
        if (!attributes.isRegularFile() || !Files.isExecutable(key)) return Answer.problem("is not an executable file");
        Remembered known = answers.get(key);
        if (known != null
                && Objects.equals(known.fileKey(), attributes.fileKey())
                && known.size() == attributes.size()
                && known.modified().equals(attributes.lastModifiedTime())) {
            return known.answer();
        }
        Answer answer = ask(key);
        answers.put(
                key, new Remembered(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime(), answer));
        return answer;
    }

    /** Drops what is remembered about a file that is gone (a temporary file moved or deleted). */
    void forget(Path binary) {
        answers.remove(binary.toAbsolutePath().normalize());
    }

    private Answer ask(Path binary) throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(binary.toString(), "version", "-json")
                .directory(workingDirectory.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD); // warnings go there; only stdout is parsed
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return Answer.problem("did not start: " + e.getMessage());
        }
        try {
            process.getOutputStream().close();
            // The answer is far smaller than a pipe's buffer, so waiting before reading cannot stall it.
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return Answer.problem("did not answer version -json within " + timeout.toSeconds() + " s");
            }
            if (process.exitValue() != 0)
                return Answer.problem("exited with code " + process.exitValue() + " on version -json");
            String output;
            try (InputStream out = process.getInputStream()) {
                output = new String(out.readNBytes(MAX_OUTPUT), StandardCharsets.UTF_8);
            }
            String version = parse(output);
            if (version == null) return Answer.problem("printed no version on version -json");
            if (!TerraformVersions.isVersion(version)) return Answer.problem("reports an unusable version");
            return Answer.of(version);
        } catch (IOException e) {
            return Answer.problem("could not be asked its version: " + e.getMessage());
        } finally {
            process.destroyForcibly();
        }
    }

    static String parse(String output) {
        try {
            JsonNode version = JSON.readTree(output).path("terraform_version");
            if (version.isTextual()) return version.asText();
        } catch (IOException e) {
            Matcher text = TEXT_VERSION.matcher(output);
            if (text.find()) return text.group(1);
        }
        return null;
    }
}
