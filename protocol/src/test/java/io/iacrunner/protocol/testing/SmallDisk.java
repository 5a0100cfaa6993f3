package io.iacrunner.protocol.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A small real file system for tests of a full disk: a tmpfs of a few MiB mounted on a fresh directory (the tests run
 * as root, as CI does; elsewhere {@link #mount} fails, and with it the test, rather than skipping). Writes past its
 * size fail with "No space left on device", exactly as on a full disk. {@link #close()} unmounts it.
 */
public final class SmallDisk implements AutoCloseable {
    private final Path mountPoint;

    private SmallDisk(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code mib} MiB on a new directory under {@code parent}. */
    public static SmallDisk mount(Path parent, int mib) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(parent, "small-disk");
        run("mount", "-t", "tmpfs", "-o", "size=" + mib + "m,mode=0700", "tmpfs", dir.toString());
        return new SmallDisk(dir);
    }

    public Path path() {
        return mountPoint;
    }

    /** Fills the disk with one file until less than {@code leaveBytes} are free; returns the file. */
    public Path fill(String name, long leaveBytes) throws IOException {
        Path file = mountPoint.resolve(name);
        long free = Files.getFileStore(mountPoint).getUsableSpace();
        byte[] chunk = new byte[64 * 1024];
        try (var out = Files.newOutputStream(file)) {
            for (long left = free - leaveBytes; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }

    public long usable() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("umount", "-l", mountPoint.toString());
        Files.deleteIfExists(mountPoint);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(
                    String.join(" ", command) + " failed (the full-disk tests need root, as CI has): " + output);
        }
    }
}
