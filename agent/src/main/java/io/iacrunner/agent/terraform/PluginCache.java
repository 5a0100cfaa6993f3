package io.iacrunner.agent.terraform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Terraform's provider plugin cache ({@code TF_PLUGIN_CACHE_DIR}), shared by all of the agent's tasks so a provider is
 * downloaded once, not once per run. Terraform documents the cache as unsafe for concurrent writers: two
 * {@code terraform init}s installing the same provider at once can leave a half-written binary. So inits, the only
 * commands that write it, take turns; plans and applies only read it and run in parallel.
 */
public final class PluginCache {
    static final String DIR = "plugin-cache";

    /** A step that may write the cache. */
    public interface Init<T> {
        T run() throws IOException, InterruptedException;
    }

    private final Path dir;
    /** Fair: inits go in the order they asked, so a busy agent cannot starve one task's init. */
    private final ReentrantLock writer = new ReentrantLock(true);

    private PluginCache(Path dir) {
        this.dir = dir;
    }

    /** The cache under the agent's work dir, created private (provider binaries are code the agent will run). */
    public static PluginCache in(Path workDir) throws IOException {
        Path dir = workDir.resolve(DIR);
        if (!Files.isDirectory(dir)) {
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return new PluginCache(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Runs {@code init} while no other task's init runs; says so in the log when it has to wait. */
    public <T> T initializing(Consumer<String> notes, Init<T> init) throws IOException, InterruptedException {
        if (!writer.tryLock()) {
            notes.accept("waiting for another task's terraform init: the shared plugin cache takes one at a time");
            writer.lockInterruptibly();
        }
        try {
            return init.run();
        } finally {
            writer.unlock();
        }
    }
}
