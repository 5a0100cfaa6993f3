package io.iacrunner.agent;

import io.iacrunner.agent.logs.LogSpool;
import io.iacrunner.agent.terraform.CliConfig;
import io.iacrunner.agent.terraform.PluginCache;
import io.iacrunner.agent.terraform.TaskDirectory;
import io.iacrunner.protocol.TaskAssignment;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's working directory, parent of the per-task directories. One agent owns it at a time (a file lock), which
 * is what makes deleting a crashed run's leftovers at start safe: they cannot belong to a live agent. The task
 * directory of an attempt whose log spool was left too is kept until {@link SpoolRecovery} has taken from it the state
 * Terraform wrote ({@link #leftoverTaskDir}).
 */
final class WorkDir implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkDir.class);
    private static final String LOCK_FILE = ".agent.lock";
    /** {@code <taskId>-a<attempt>-<16 hex>}: only directories of this shape are ever deleted as leftovers. */
    private static final Pattern TASK_DIR = Pattern.compile("([A-Za-z0-9_.-]+)-a(\\d+)-[0-9a-f]{16}");

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final PluginCache pluginCache;
    private final CliConfig cliConfig;
    private final DiskSpace disk;
    /** Task directories a crashed run left beside a spool, by "taskId.aN": kept for {@link SpoolRecovery}. */
    private final Map<String, Path> leftovers = new ConcurrentHashMap<>();

    private WorkDir(
            Path root,
            FileChannel lockChannel,
            FileLock lock,
            PluginCache pluginCache,
            CliConfig cliConfig,
            DiskSpace disk) {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.pluginCache = pluginCache;
        this.cliConfig = cliConfig;
        this.disk = disk;
    }

    /**
     * Creates (0700) or checks the directory, takes it over and deletes task directories a crashed run left (but those
     * with a leftover spool, see {@link #leftoverTaskDir}).
     *
     * @param minFreeDisk below this many usable bytes (work directory or spool) the agent claims nothing
     */
    static WorkDir open(Path configured, long minFreeDisk) throws IOException {
        return open(configured, minFreeDisk, CliConfig.EMPTY);
    }

    /** As {@link #open(Path, long)}; every task directory gets {@code cliConfig} as its Terraform CLI configuration. */
    static WorkDir open(Path configured, long minFreeDisk, CliConfig cliConfig) throws IOException {
        Files.createDirectories(configured, OWNER_ONLY);
        Path root = configured.toRealPath(); // the checks below then judge the directory, not a link to it
        FileChannel channel =
                FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            checkPrivate(root, root.resolve(LOCK_FILE));
            FileLock lock = tryLock(channel);
            if (lock == null) {
                throw new IOException("another agent is using " + root + "; give each agent its own work directory");
            }
            Path spool = LogSpool.directory(root);
            WorkDir dir = new WorkDir(
                    root,
                    channel,
                    lock,
                    PluginCache.in(root),
                    cliConfig,
                    new DiskSpace(List.of(root, spool), spool, minFreeDisk));
            dir.deleteLeftovers();
            return dir;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * The default work directory is under /tmp: a directory someone else created there in advance could let them
     * swap a task's files between our write and Terraform's read.
     */
    private static void checkPrivate(Path root, Path ownFile) throws IOException {
        PosixFileAttributes dir = Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributes mine = Files.readAttributes(ownFile, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!dir.isDirectory() || !dir.owner().equals(mine.owner())) {
            throw new IOException(root + " is not a directory owned by the agent's user");
        }
        if (dir.permissions().contains(PosixFilePermission.GROUP_WRITE)
                || dir.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(root + " is writable by other users; make it 0700");
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by another agent in this JVM
        }
    }

    private void deleteLeftovers() throws IOException {
        Set<String> spooled = new HashSet<>();
        for (LogSpool.Leftover spool : LogSpool.leftovers(root)) spooled.add(key(spool.taskId(), spool.attempt()));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(
                root,
                p -> TASK_DIR.matcher(p.getFileName().toString()).matches()
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
            for (Path leftover : entries) {
                Matcher m = TASK_DIR.matcher(leftover.getFileName().toString());
                String key = m.matches() ? key(m.group(1), Integer.parseInt(m.group(2))) : "";
                if (spooled.contains(key) && leftovers.putIfAbsent(key, leftover) == null) continue;
                log.info("deleting {}, left by an earlier run", leftover);
                TaskDirectory.deleteTree(leftover);
            }
        }
    }

    private static String key(String taskId, int attempt) {
        return taskId + ".a" + attempt;
    }

    /**
     * The directory a crashed run left for this attempt, if its spool was left too: Terraform's state file there
     * records what the attempt did. {@link #deleteLeftover} once done with it.
     */
    Optional<Path> leftoverTaskDir(String taskId, int attempt) {
        return Optional.ofNullable(leftovers.get(key(taskId, attempt)));
    }

    void deleteLeftover(String taskId, int attempt) {
        Path dir = leftovers.remove(key(taskId, attempt));
        if (dir == null) return;
        try {
            TaskDirectory.deleteTree(dir);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.toString());
        }
    }

    /** A fresh 0700 directory holding the task's configuration, variables and state. */
    TaskDirectory create(TaskAssignment task) throws IOException {
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random); // uniqueness only: the parent is private
        String name = task.taskId().replaceAll("[^A-Za-z0-9_.-]", "_") + "-a" + task.attempt() + "-"
                + HexFormat.of().formatHex(random);
        return TaskDirectory.create(
                Files.createDirectory(root.resolve(name), OWNER_ONLY), task, pluginCache.dir(), cliConfig);
    }

    /** The provider plugin cache all of this agent's tasks share. */
    PluginCache pluginCache() {
        return pluginCache;
    }

    Path root() {
        return root;
    }

    /** Where the attempts' log spools and journals are. */
    Path spoolDir() {
        return root.resolve(LogSpool.DIR);
    }

    DiskSpace disk() {
        return disk;
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.warn("releasing {}: {}", root.resolve(LOCK_FILE), e.toString());
        }
    }
}
