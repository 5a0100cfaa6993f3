package io.iacrunner.agent.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.WireJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * What applying a plan needs, in one tar: the plan file, the dependency lock file ({@code .terraform.lock.hcl}: the
 * same provider versions and checksums as the plan was made with), and the configuration the plan was made from
 * ({@code main.tf.json}, or the task's configuration archive as {@code config.tar.gz}). Made at the end of a plan phase,
 * uploaded, and unpacked by the attempt that applies it, possibly on another agent, hours later.
 *
 * <p>The plan and lock files are read from the task directory, where the configuration (hostile code) could have put a
 * link in their place: only regular files are read, never through a link, so a link cannot smuggle an agent file out.
 */
public final class PlanBundle {
    static final String PLAN = TaskDirectory.PLAN;
    static final String LOCK_FILE = ".terraform.lock.hcl";
    static final String TF_JSON = "main.tf.json";
    static final String CONFIG_ARCHIVE = "config.tar.gz";
    private static final Set<String> NAMES = Set.of(PLAN, LOCK_FILE, TF_JSON, CONFIG_ARCHIVE);
    /** Larger than any bundle the server can take in one request. */
    private static final long MAX_ENTRY_BYTES = 64L * 1024 * 1024;

    private PlanBundle() {}

    /** The plan {@code dir} holds, with its lock file and {@code task}'s configuration, as tar bytes. */
    public static byte[] pack(TaskDirectory dir, TaskAssignment task) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(PLAN, readRegular(dir.path().resolve(PLAN)));
        Path lock = dir.path().resolve(LOCK_FILE);
        if (Files.exists(lock, LinkOption.NOFOLLOW_LINKS)) entries.put(LOCK_FILE, readRegular(lock));
        if (task.configArchive() != null) {
            entries.put(CONFIG_ARCHIVE, Base64.getDecoder().decode(task.configArchive()));
        } else {
            entries.put(TF_JSON, WireJson.lenient().writeValueAsBytes(task.tfJson()));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            for (var e : entries.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(e.getValue().length);
                entry.setMode(0600);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A bundle unpacked: what the applying attempt writes into its task directory. */
    public record Unpacked(byte[] plan, byte[] lockFile, ObjectNode tfJson, String configArchive) {
        /** {@code task} with the configuration the plan was made from, to create the task directory with. */
        public TaskAssignment configure(TaskAssignment task) {
            return new TaskAssignment(
                    task.taskId(),
                    task.attempt(),
                    task.workspaceId(),
                    task.action(),
                    task.terraformVersion(),
                    tfJson,
                    task.variables(),
                    task.stateJson(),
                    task.sensitiveVariables(),
                    task.maxLogBytes(),
                    configArchive,
                    task.jobToken(),
                    task.jobTokenExpiresAt(),
                    task.maxRunSeconds(),
                    task.runOptions(),
                    task.confirmFirst(),
                    task.applyStoredPlan());
        }

        /** Puts the plan file and the lock file into {@code dir}, whose configuration came from {@link #configure}. */
        public void writeInto(TaskDirectory dir) throws IOException {
            Files.write(dir.path().resolve(PLAN), plan, StandardOpenOption.CREATE_NEW);
            if (lockFile != null) Files.write(dir.path().resolve(LOCK_FILE), lockFile, StandardOpenOption.CREATE_NEW);
        }
    }

    /** Reads a bundle {@link #pack} made; anything else (unknown entries, no plan, no configuration) is refused. */
    public static Unpacked unpack(byte[] bundle) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(bundle))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                if (!e.isFile() || !NAMES.contains(e.getName()) || entries.containsKey(e.getName())) {
                    throw new IOException("unexpected entry '" + e.getName() + "' in the plan bundle");
                }
                if (e.getSize() > MAX_ENTRY_BYTES) throw new IOException("entry '" + e.getName() + "' is too large");
                entries.put(e.getName(), tar.readAllBytes());
            }
        }
        byte[] plan = entries.get(PLAN);
        if (plan == null) throw new IOException("the plan bundle holds no plan file");
        byte[] tfJson = entries.get(TF_JSON);
        byte[] archive = entries.get(CONFIG_ARCHIVE);
        if ((tfJson == null) == (archive == null)) {
            throw new IOException("the plan bundle must hold one configuration: " + TF_JSON + " or " + CONFIG_ARCHIVE);
        }
        ObjectNode config = null;
        if (tfJson != null) {
            JsonNode parsed = WireJson.lenient().readTree(new String(tfJson, StandardCharsets.UTF_8));
            if (!(parsed instanceof ObjectNode object)) throw new IOException(TF_JSON + " is not a JSON object");
            config = object;
        }
        return new Unpacked(
                plan,
                entries.get(LOCK_FILE),
                config,
                archive == null ? null : Base64.getEncoder().encodeToString(archive));
    }

    /** A regular file's bytes, opened without following a link (a link in its place is refused). */
    private static byte[] readRegular(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(file.getFileName() + " is not a regular file");
        }
        try (SeekableByteChannel channel =
                        Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
                InputStream in = Channels.newInputStream(channel)) {
            return in.readAllBytes();
        }
    }
}
