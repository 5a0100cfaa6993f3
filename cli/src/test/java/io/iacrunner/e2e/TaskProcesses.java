package io.iacrunner.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds what a task left running, from {@code /proc}: Terraform runs in its task directory under the agent's work
 * dir, and so do the commands of a {@code local-exec} it starts (their cwd, unless the configuration changes it).
 * A test's provisioner also carries a marker in its environment, which every child inherits, so a process is found
 * even after the agent has killed its parent and it has been re-parented away. Zombies are ignored: they run nothing.
 */
final class TaskProcesses {
    private TaskProcesses() {}

    /** A live process and what identified it. */
    record Found(long pid, String command, String cwd) {
        @Override
        public String toString() {
            return pid + " [" + command + "] in " + cwd;
        }
    }

    /** Live processes whose working directory is under {@code workDir} or whose environment or command holds {@code marker}. */
    static List<Found> find(Path workDir, String marker) {
        String root = workDir.toAbsolutePath().normalize().toString();
        String realRoot = real(workDir).orElse(root);
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != self && p.isAlive())
                .map(p -> describe(p.pid()))
                .flatMap(Optional::stream)
                .filter(f -> underAny(f.cwd(), root, realRoot)
                        || (marker != null && (f.command().contains(marker) || environmentHolds(f.pid(), marker))))
                .filter(f -> !isZombie(f.pid()))
                .toList();
    }

    /** Kills (SIGKILL) everything {@link #find} finds, and returns what it killed. */
    static List<Found> kill(Path workDir, String marker) {
        List<Found> found = find(workDir, marker);
        for (Found f : found) ProcessHandle.of(f.pid()).ifPresent(ProcessHandle::destroyForcibly);
        return found;
    }

    private static boolean underAny(String cwd, String... roots) {
        if (cwd == null) return false;
        String dir = cwd.endsWith(" (deleted)") ? cwd.substring(0, cwd.length() - " (deleted)".length()) : cwd;
        for (String root : roots) {
            if (dir.equals(root) || dir.startsWith(root + "/")) return true;
        }
        return false;
    }

    private static Optional<Found> describe(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ')
                    .trim();
            String cwd;
            try {
                cwd = Files.readSymbolicLink(proc.resolve("cwd")).toString();
            } catch (IOException | SecurityException e) {
                cwd = null;
            }
            return Optional.of(new Found(pid, cmdline, cwd));
        } catch (IOException | SecurityException e) {
            return Optional.empty(); // gone in between, or not ours to read
        }
    }

    private static boolean environmentHolds(long pid, String marker) {
        try {
            return new String(
                            Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8)
                    .contains(marker);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException | SecurityException e) {
            return true; // gone
        }
    }

    private static Optional<String> real(Path dir) {
        try {
            return Optional.of(dir.toRealPath().toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
