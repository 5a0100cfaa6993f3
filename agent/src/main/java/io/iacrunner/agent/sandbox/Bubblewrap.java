package io.iacrunner.agent.sandbox;

import io.iacrunner.protocol.Isolation;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The task sandbox: every process of a task runs under Debian's bubblewrap ({@code bwrap}) and sees only
 * <ul>
 *   <li>its own task directory, read-write, at the same path as on the host (HOME, the CLI config, the state and
 *       plan files keep their paths, so nothing inside needs translating);</li>
 *   <li>the plugin cache, read-only except to {@code terraform init} (the one command that writes it), the Terraform binary and
 *       the other paths of {@link SandboxMounts#readOnly()}, read-only;</li>
 *   <li>the system's read-only files that Terraform, providers and {@code local-exec} need: {@code /usr}, the
 *       {@code /bin}, {@code /lib*} links, and a short list of {@code /etc} files (DNS, TLS roots, users, time
 *       zone) that hold no secret;</li>
 *   <li>a private {@code /tmp}, {@code /proc} of its own PID namespace and a minimal {@code /dev};</li>
 *   <li>the host's network (providers need it).</li>
 * </ul>
 * It runs as uid/gid 65534 in a user namespace of its own (mapped to the agent's user, so its files in the task
 * directory are the agent's), with no capabilities, no further user namespaces, a new session (no terminal to push
 * keystrokes into), and its own PID, IPC and UTS namespaces: it cannot see or signal the agent or other tasks.
 *
 * <p>Lifetime: with {@code --unshare-pid}, bwrap runs an init as the namespace's pid 1 and the command as pid 2; when
 * the command exits, pid 1 exits and the kernel kills everything left in the namespace, so a provisioner's
 * background or double-forked process dies with the command. {@code --die-with-parent} kills the sandbox when the
 * agent dies (SIGKILL included): bwrap sets PR_SET_PDEATHSIG, which fires when the <em>thread</em> that started it
 * ends, so a task's processes are started on its own platform thread, which waits for them (the agent's task runner),
 * never on a pool or virtual thread whose carrier may be retired.
 *
 * <p>bwrap does not forward signals: a graceful stop sends SIGINT to the command itself ({@link #command}), found as
 * the child of the sandbox's init whose pid in the namespace is 2.
 */
final class Bubblewrap implements ProcessIsolation {
    /** The unprivileged user and group a task runs as inside (nobody/nogroup). */
    static final int SANDBOX_ID = 65534;
    /** Where Debian installs it; otherwise it is looked for on PATH. */
    static final Path DEBIAN_PATH = Path.of("/usr/bin/bwrap");
    /** Read-only system directories, and the root entries that may be links to them (merged /usr). */
    private static final List<String> SYSTEM_DIRS = List.of("/usr");

    private static final List<String> ROOT_ENTRIES = List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
    /** The /etc files providers and shells need; none holds a secret (no shadow, no machine credentials). */
    static final List<String> ETC_FILES = List.of(
            "/etc/resolv.conf",
            "/etc/hosts",
            "/etc/host.conf",
            "/etc/nsswitch.conf",
            "/etc/gai.conf",
            "/etc/services",
            "/etc/protocols",
            "/etc/passwd",
            "/etc/group",
            "/etc/localtime",
            "/etc/timezone",
            "/etc/ssl",
            "/etc/ca-certificates",
            "/etc/pki",
            "/etc/crypto-policies",
            "/etc/alternatives",
            "/etc/mime.types");

    private final Path bwrap;

    private Bubblewrap(Path bwrap) {
        this.bwrap = bwrap;
    }

    /**
     * A sandbox that is known to work here: bwrap is found and a trial sandbox wrote into a directory as a task would.
     *
     * @throws SandboxUnavailableException saying why not, and how to fix it
     */
    static Bubblewrap verified(Map<String, String> environment) {
        return verified(environment, DEBIAN_PATH);
    }

    /** As {@link #verified(Map)}, looking in {@code usual} before PATH. */
    static Bubblewrap verified(Map<String, String> environment, Path usual) {
        Path found = locate(environment, usual)
                .orElseThrow(() -> new SandboxUnavailableException(
                        "bwrap is not installed (looked in " + usual + " and on PATH)"));
        return verified(found);
    }

    /** With this bwrap binary. */
    static Bubblewrap verified(Path bwrap) {
        Bubblewrap sandbox = new Bubblewrap(bwrap);
        sandbox.trial();
        return sandbox;
    }

    private static Optional<Path> locate(Map<String, String> environment, Path usual) {
        if (Files.isExecutable(usual)) return Optional.of(usual);
        return Stream.of(environment.getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, "bwrap"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Runs a shell in a sandbox over a scratch directory; it must be able to write there, as Terraform will. */
    private void trial() {
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("iac-sandbox-check");
            Path err = scratch.resolve("bwrap.stderr");
            Files.createFile(err);
            ProcessBuilder builder = builder(
                    List.of("/bin/sh", "-c", "echo sandboxed > written"),
                    Map.of("PATH", "/usr/bin:/bin"),
                    new SandboxMounts(scratch, null, false, List.of()));
            Process process = builder.redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new SandboxUnavailableException("a trial sandbox did not finish within 30 s");
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new SandboxUnavailableException("a trial sandbox failed (" + bwrap + " exited with "
                        + process.exitValue() + (stderr.isEmpty() ? "" : ": " + stderr) + ")");
            }
            if (!Files.isRegularFile(scratch.resolve("written"))) {
                throw new SandboxUnavailableException("a trial sandbox could not write into its task directory");
            }
        } catch (IOException e) {
            throw new SandboxUnavailableException("cannot run " + bwrap + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxUnavailableException("interrupted while trying it");
        } finally {
            if (scratch != null) deleteScratch(scratch);
        }
    }

    /** The trial's directory holds its stderr and the file the shell wrote, nothing else. */
    private static void deleteScratch(Path scratch) {
        try {
            Files.deleteIfExists(scratch.resolve("written"));
            Files.deleteIfExists(scratch.resolve("bwrap.stderr"));
            Files.deleteIfExists(scratch);
        } catch (IOException ignored) {
            // A temp directory left behind is harmless.
        }
    }

    /**
     * The work directory must not be visible through the system paths every sandbox sees read-only: its identity file
     * and spool would be readable by every task.
     */
    static void requireOutsideSystemPaths(Path workDir, String what) {
        Path dir = workDir.toAbsolutePath().normalize();
        for (String system : Stream.concat(
                        Stream.concat(SYSTEM_DIRS.stream(), ROOT_ENTRIES.stream()), ETC_FILES.stream())
                .toList()) {
            if (dir.startsWith(system)) {
                throw new SandboxUnavailableException(what + " " + dir + " is under " + system
                        + ", which every sandbox sees;" + " put it elsewhere (the default is under the temp dir)");
            }
        }
    }

    @Override
    public Isolation kind() {
        return Isolation.SANDBOX;
    }

    @Override
    public ProcessBuilder builder(List<String> command, Map<String, String> environment, SandboxMounts mounts) {
        List<String> line = new ArrayList<>();
        line.add(bwrap.toString());
        line.addAll(arguments(mounts));
        line.add("--");
        line.addAll(command);
        ProcessBuilder builder =
                new ProcessBuilder(line).directory(mounts.taskDir().toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.environment().put("TMPDIR", "/tmp"); // the agent's temp dir is not in the sandbox; its own /tmp is
        return builder;
    }

    /** bwrap's options for one process; each path is shown at its own path. */
    static List<String> arguments(SandboxMounts mounts) {
        List<String> args = new ArrayList<>(List.of(
                "--unshare-user",
                "--uid",
                Integer.toString(SANDBOX_ID),
                "--gid",
                Integer.toString(SANDBOX_ID),
                "--disable-userns",
                "--unshare-pid",
                "--unshare-ipc",
                "--unshare-uts",
                "--unshare-cgroup-try",
                "--die-with-parent",
                "--new-session",
                "--cap-drop",
                "ALL",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--tmpfs",
                "/tmp"));
        for (String dir : SYSTEM_DIRS) args.addAll(List.of("--ro-bind", dir, dir));
        for (String entry : ROOT_ENTRIES) {
            Path path = Path.of(entry);
            if (Files.isSymbolicLink(path)) {
                try {
                    args.addAll(
                            List.of("--symlink", Files.readSymbolicLink(path).toString(), entry));
                } catch (IOException e) {
                    // Unreadable link: leave it out, as if absent.
                }
            } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                args.addAll(List.of("--ro-bind", entry, entry));
            }
        }
        for (String file : ETC_FILES) args.addAll(List.of("--ro-bind-try", file, file));
        for (Path path : mounts.readOnly()) {
            String p = path.toString();
            if (SYSTEM_DIRS.stream().noneMatch(dir -> path.startsWith(dir))) args.addAll(List.of("--ro-bind", p, p));
        }
        if (mounts.pluginCache() != null) {
            String cache = mounts.pluginCache().toString();
            args.addAll(List.of(mounts.cacheWritable() ? "--bind" : "--ro-bind", cache, cache));
        }
        String task = mounts.taskDir().toString();
        args.addAll(List.of("--bind", task, task, "--chdir", task));
        return args;
    }

    @Override
    public Optional<ProcessHandle> command(Process started) {
        // bwrap (started) → the namespace's init (pid 1 inside) → the command (pid 2 inside). It takes bwrap a few
        // milliseconds to set the sandbox up: a stop that comes that early waits for the command to exist.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (started.isAlive()) {
            Optional<ProcessHandle> command = started.children()
                    .flatMap(ProcessHandle::children)
                    .filter(p -> namespacePid(p.pid()) == 2)
                    .findFirst();
            if (command.isPresent() || System.nanoTime() > deadline) return command;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The innermost pid of a process ({@code NSpid} in its status), or -1. */
    static long namespacePid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return Long.parseLong(ids[ids.length - 1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone, or not readable: not the one.
        }
        return -1;
    }
}
