package io.iacrunner.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's disk, as a platform resource: a full disk is the agent's failure, not Terraform's. The agent claims
 * nothing while its work directory or its spool has less than {@code minFree} bytes usable ({@link #hasRoom()}, said
 * in every ping as {@code disk_full}), and a run that hits "no space left on device" ends errored saying so.
 *
 * <p>A small reserve file beside the spools is freed when a spool write finds the disk full
 * ({@link #releaseReserve()}): the lines that explain the failure (Terraform's error, the agent's own message) still
 * fit. It is written again once there is room ({@link #ensureReserve()}).
 */
final class DiskSpace {
    private static final Logger log = LoggerFactory.getLogger(DiskSpace.class);
    static final long DEFAULT_MIN_FREE = 256L * 1024 * 1024;
    static final long RESERVE_BYTES = 4L * 1024 * 1024;
    static final String RESERVE_FILE = ".disk-reserve";

    private final List<Path> watched;
    private final Path reserve;
    private final long minFree;
    private final Object lock = new Object();
    private boolean full;

    /**
     * @param watched the directories whose file systems must have room (the work directory, the spool directory)
     * @param reserveDir where the reserve file lives (the spool directory: spool lines are what it is for)
     * @param minFree below this many usable bytes on any of them the agent takes no new work (0: never)
     */
    DiskSpace(List<Path> watched, Path reserveDir, long minFree) {
        this.watched = List.copyOf(watched);
        this.reserve = reserveDir.resolve(RESERVE_FILE);
        this.minFree = minFree;
    }

    /** Looks at the disk now; says once in the agent's log when it becomes full and when it has room again. */
    boolean hasRoom() {
        long usable = usable();
        boolean nowFull = usable < minFree;
        synchronized (lock) {
            if (nowFull != full) {
                if (nowFull) {
                    log.error(
                            "less than {} MiB usable under {} ({} MiB): no new work is claimed until space is freed",
                            minFree >> 20,
                            watched,
                            usable >> 20);
                } else {
                    log.info("{} MiB usable under {} again: claiming work", usable >> 20, watched);
                }
            }
            full = nowFull;
        }
        return !nowFull;
    }

    /** What the last look found: the agent is short of space. */
    boolean full() {
        synchronized (lock) {
            return full;
        }
    }

    /** The least usable space of the watched file systems, in bytes. */
    long usable() {
        long least = Long.MAX_VALUE;
        for (Path dir : watched) {
            try {
                least = Math.min(least, Files.getFileStore(dir).getUsableSpace());
            } catch (IOException e) {
                return 0; // a directory that cannot be looked at cannot be written either
            }
        }
        return least;
    }

    /** After a failed command: whether the disk, rather than the configuration, is what failed it. */
    boolean exhausted() {
        return usable() < Math.max(minFree, RESERVE_BYTES);
    }

    /** Writes the reserve file unless it is there; quietly does nothing when there is no room for it. */
    void ensureReserve() {
        synchronized (lock) {
            try {
                if (Files.exists(reserve) && Files.size(reserve) == RESERVE_BYTES) return;
                try (FileChannel out = FileChannel.open(
                        reserve,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    // Written, not just sized: a sparse file would reserve nothing.
                    ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
                    for (long written = 0; written < RESERVE_BYTES; ) {
                        zeros.clear();
                        written += out.write(zeros);
                    }
                    out.force(true);
                }
            } catch (IOException e) {
                deleteReserve();
            }
        }
    }

    /** Frees the reserve for the spool; true when there was one to free. */
    boolean releaseReserve() {
        synchronized (lock) {
            boolean had = Files.exists(reserve);
            if (had) {
                log.error(
                        "the disk under {} is full; freed the {} MiB reserve so the spools can take the lines that say so",
                        watched,
                        RESERVE_BYTES >> 20);
            }
            deleteReserve();
            return had;
        }
    }

    private void deleteReserve() {
        try {
            Files.deleteIfExists(reserve);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", reserve, e.toString());
        }
    }
}
