package io.iacrunner.agent.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One task attempt's directory: Terraform's working directory and HOME, deleted with everything in it on close. */
public final class TaskDirectory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskDirectory.class);
    private static final ObjectMapper JSON = WireJson.lenient();

    static final String CONFIG = "main.tf.json";
    static final String VARIABLES = "terraform.tfvars.json";
    public static final String STATE = "terraform.tfstate";
    static final String ERRORED_STATE = "errored.tfstate";
    static final String CLI_CONFIG = ".terraformrc";
    public static final String PLAN = "plan.out";
    /** An override file replaces a configuration's backend or cloud block (the server refuses archives holding it). */
    static final String BACKEND_OVERRIDE = "zz_iac_runner_backend_override.tf.json";

    private static final String LOCAL_BACKEND = "{\"terraform\": {\"backend\": {\"local\": {}}}}\n";

    private final Path path;
    private final Path pluginCache;

    private TaskDirectory(Path path, Path pluginCache) {
        this.path = path;
        this.pluginCache = pluginCache;
    }

    /** @param pluginCache the provider cache Terraform is pointed at; null for none */
    static TaskDirectory create(Path path, TaskAssignment task, Path pluginCache) throws IOException {
        return create(path, task, pluginCache, CliConfig.EMPTY);
    }

    /**
     * Writes the task's configuration, variables, state and CLI configuration into {@code path}, an empty directory.
     *
     * @param pluginCache the provider cache Terraform is pointed at; null for none
     * @param cliConfig what the task's {@code .terraformrc} says
     */
    public static TaskDirectory create(Path path, TaskAssignment task, Path pluginCache, CliConfig cliConfig)
            throws IOException {
        TaskDirectory dir = new TaskDirectory(path, pluginCache);
        try {
            if (task.configArchive() != null) {
                // Checked by the server already; the extractor checks again and writes nothing outside the directory.
                new ArchiveExtractor().extract(Base64.getDecoder().decode(task.configArchive()), path);
                // The state is the terraform.tfstate written here: a backend or cloud block of the configuration
                // (Terraform's cloud block names this very server) would send Terraform elsewhere for it.
                Files.writeString(Files.createFile(path.resolve(BACKEND_OVERRIDE)), LOCAL_BACKEND);
            } else {
                JSON.writerWithDefaultPrettyPrinter()
                        .writeValue(path.resolve(CONFIG).toFile(), task.tfJson());
            }
            if (task.variables() != null)
                writePrivate(path.resolve(VARIABLES), JSON.writeValueAsBytes(task.variables()));
            if (task.stateJson() != null) JSON.writeValue(path.resolve(STATE).toFile(), task.stateJson());
            // A CLI config of our own: the machine's may name a missing file (Terraform warns) or hold credentials.
            Files.writeString(Files.createFile(path.resolve(CLI_CONFIG)), cliConfig.text());
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
        return dir;
    }

    Path path() {
        return path;
    }

    /** Null when Terraform keeps no shared cache. */
    Path pluginCache() {
        return pluginCache;
    }

    /** Created 0600 before a byte is written: the variables may hold sensitive values. */
    private static void writePrivate(Path file, byte[] content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, content);
    }

    Path cliConfig() {
        return path.resolve(CLI_CONFIG);
    }

    /**
     * The state Terraform left, if it wrote one. An empty file is no state: Terraform's local backend creates the
     * file when an apply starts and fills it only when it persists state, so an apply killed before that leaves it
     * empty.
     */
    public Optional<ObjectNode> readState() throws IOException {
        return readState(path);
    }

    /** As {@link #readState()}, of any task directory (one a crashed run left, say). */
    public static Optional<ObjectNode> readState(Path dir) throws IOException {
        // Terraform writes errored.tfstate when it could not persist the state it holds: that one is the newer.
        Optional<ObjectNode> errored = read(dir, ERRORED_STATE);
        return errored.isPresent() ? errored : read(dir, STATE);
    }

    private static Optional<ObjectNode> read(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.exists(file) || Files.size(file) == 0) return Optional.empty();
        JsonNode state = JSON.readTree(file.toFile());
        if (!(state instanceof ObjectNode object)) throw new IOException(name + " is not a JSON object");
        return Optional.of(object);
    }

    @Override
    public void close() {
        try {
            deleteTree(path);
        } catch (IOException e) {
            log.warn("could not delete task directory {}: {}", path, e.toString());
        }
    }

    /** Deletes a directory tree without following symbolic links out of it. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
