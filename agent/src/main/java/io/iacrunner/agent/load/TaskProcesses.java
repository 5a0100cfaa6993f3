package io.iacrunner.agent.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The processes the agent started for its tasks (Terraform, the hooks, through the sandbox), and how much memory the
 * largest of them holds now. The memory limit's reading is one figure for every plan at once: divided by the plans
 * running it understates a plan's size whenever they started at different times (a plan just started has not grown
 * yet), and the slots would grow past what the memory holds once the young plans reach their peak. A task's own
 * process tree shows its size whatever the others do.
 */
public final class TaskProcesses {
    private final Set<ProcessHandle> running = ConcurrentHashMap.newKeySet();

    /** Counts {@code process} and its descendants as one task's until it exits. */
    public void started(Process process) {
        ProcessHandle handle = process.toHandle();
        running.add(handle);
        handle.onExit().thenRun(() -> running.remove(handle));
    }

    /**
     * The resident memory, in bytes, of the largest task process tree now (the process and every descendant: inside
     * the sandbox, Terraform and its providers); 0 when none runs or where {@code /proc} is not there.
     */
    public long largest() {
        return running.stream()
                .mapToLong(root -> Stream.concat(Stream.of(root), root.descendants())
                        .mapToLong(TaskProcesses::resident)
                        .sum())
                .max()
                .orElse(0);
    }

    /** {@code VmRSS} of {@code /proc/PID/status} in bytes; 0 once the process has gone. */
    static long resident(ProcessHandle process) {
        try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            return lines.filter(line -> line.startsWith("VmRSS:"))
                    .findFirst()
                    .map(line -> Long.parseLong(line.replaceAll("\\D", "")) * 1024)
                    .orElse(0L);
        } catch (IOException | RuntimeException e) {
            return 0; // it ended between the listing and the reading, or this is not Linux
        }
    }
}
