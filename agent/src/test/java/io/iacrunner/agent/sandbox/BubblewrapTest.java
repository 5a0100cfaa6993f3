package io.iacrunner.agent.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox itself, with the machine's real bwrap: what a process inside sees, can write, and how long it lives. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BubblewrapTest {
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");

    @TempDir
    Path dir;

    private Bubblewrap sandbox;
    private Path task;
    private Path cache;

    @BeforeEach
    void setUp() throws IOException {
        sandbox = Bubblewrap.verified(System.getenv());
        Path work = Files.createDirectory(
                dir.resolve("work"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        task = Files.createDirectory(work.resolve("task-a"));
        cache = Files.createDirectory(work.resolve("plugin-cache"));
        Files.writeString(work.resolve("agent-identity.json"), "{\"agent_token\": \"secret\"}");
        Files.createDirectory(work.resolve("task-b"));
        Files.writeString(work.resolve("task-b").resolve("terraform.tfvars.json"), "{\"password\": \"sibling\"}");
    }

    /** Runs {@code script} in a sandbox over the task directory and returns its exit code; stdout goes to {@code out}. */
    private int run(String script, boolean cacheWritable) throws Exception {
        Process p = sandbox.builder(
                        List.of("/bin/sh", "-c", script), ENV, new SandboxMounts(task, cache, cacheWritable, List.of()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("out").toFile())
                .start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private String out() throws IOException {
        return Files.readString(dir.resolve("out"), StandardCharsets.UTF_8);
    }

    @Test
    void seesItsTaskDirectoryButNothingElseOfTheWorkDirectory() throws Exception {
        Path work = task.getParent();
        int exit = run(
                "echo inside > mine; echo LISTING; ls " + work + "; cat " + work.resolve("agent-identity.json") + " "
                        + work.resolve("task-b/terraform.tfvars.json"),
                false);

        assertThat(Files.readString(task.resolve("mine"))).isEqualTo("inside\n");
        assertThat(out()).doesNotContain("secret", "sibling").contains("No such file or directory");
        assertThat(out().substring(out().indexOf("LISTING")).lines().skip(1).takeWhile(l -> !l.startsWith("cat:")))
                .as("the work directory as the sandbox sees it")
                .containsExactlyInAnyOrder("plugin-cache", "task-a");
        assertThat(exit).isNotZero();
    }

    @Test
    void runsAsNobodyInsideAndWritesFilesTheAgentOwns() throws Exception {
        assertThat(run("id -u; id -g; touch made", false)).isZero();
        assertThat(out()).isEqualTo(Bubblewrap.SANDBOX_ID + "\n" + Bubblewrap.SANDBOX_ID + "\n");
        assertThat(Files.getOwner(task.resolve("made"))).isEqualTo(Files.getOwner(dir));
    }

    @Test
    void writesThePluginCacheOnlyWhenAllowed() throws Exception {
        assertThat(run("touch " + cache.resolve("poisoned"), false)).isNotZero();
        assertThat(out()).contains("Read-only file system");
        assertThat(cache.resolve("poisoned")).doesNotExist();

        assertThat(run("touch " + cache.resolve("installed"), true)).isZero();
        assertThat(cache.resolve("installed")).exists();
    }

    @Test
    void seesOnlyItsOwnProcessesAndAPrivateTmp() throws Exception {
        Files.writeString(
                Path.of(System.getProperty("java.io.tmpdir"))
                        .resolve("host-tmp-" + ProcessHandle.current().pid()),
                "x");
        try {
            assertThat(run(
                            "ls /proc | grep -E '^[0-9]+$' | wc -l; ls /tmp; cat /proc/"
                                    + ProcessHandle.current().pid() + "/environ",
                            false))
                    .isNotZero();
            String[] lines = out().split("\n");
            assertThat(Integer.parseInt(lines[0].trim()))
                    .as("bwrap's init, the shell, ls, grep, wc")
                    .isLessThanOrEqualTo(6);
            assertThat(out()).doesNotContain("host-tmp-").contains("No such file or directory");
        } finally {
            Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"))
                    .resolve("host-tmp-" + ProcessHandle.current().pid()));
        }
    }

    @Test
    void aBackgroundProcessDiesWithTheCommand() throws Exception {
        String marker = "bg-" + System.nanoTime();
        // Double-forked: re-parented inside the sandbox, and still gone once the shell exits.
        assertThat(run(
                        "(sleep 300 " + marker.hashCode() + " &) ; sleep 300 " + marker.hashCode() + " & echo started",
                        false))
                .isZero();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.allProcesses()
                        .noneMatch(p -> p.info().commandLine().orElse("").contains("sleep 300 " + marker.hashCode())));
    }

    @Test
    void findsTheCommandInsideToInterruptIt() throws Exception {
        Process p = sandbox.builder(
                        List.of("/bin/sh", "-c", "trap 'echo interrupted; exit 3' INT; sleep 100 & wait"),
                        ENV,
                        new SandboxMounts(task, null, false, List.of()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("out").toFile())
                .start();
        Optional<ProcessHandle> command = sandbox.command(p);
        assertThat(command).isPresent();
        assertThat(command.get().pid()).isNotEqualTo(p.pid());
        assertThat(Bubblewrap.namespacePid(command.get().pid())).isEqualTo(2);
        new ProcessBuilder("kill", "-INT", Long.toString(command.get().pid()))
                .start()
                .waitFor();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as("bwrap passes the command's exit status on")
                .isEqualTo(3);
        assertThat(out()).contains("interrupted");
    }

    @Test
    void killingTheSandboxKillsEverythingInIt() throws Exception {
        Process p = sandbox.builder(
                        List.of("/bin/sh", "-c", "trap '' INT TERM; (sleep 301 &); sleep 301"),
                        ENV,
                        new SandboxMounts(task, null, false, List.of()))
                .start();
        await().atMost(Duration.ofSeconds(5)).until(() -> p.descendants().count() >= 3);
        List<ProcessHandle> inside = p.descendants().toList();
        p.destroyForcibly();
        await().atMost(Duration.ofSeconds(5)).until(() -> inside.stream().noneMatch(ProcessHandle::isAlive));
    }

    @Test
    void readOnlyPathsAreVisibleButNotWritable() throws Exception {
        Path hooks = Files.createDirectory(dir.resolve("hooks"));
        Files.writeString(hooks.resolve("pre-plan"), "#!/bin/sh\necho hook\n");
        Process p = sandbox.builder(
                        List.of("/bin/sh", "-c", "cat " + hooks.resolve("pre-plan") + "; touch " + hooks.resolve("x")),
                        ENV,
                        new SandboxMounts(task, null, false, List.of(hooks)))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("out").toFile())
                .start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out()).contains("echo hook", "Read-only file system");
        assertThat(hooks.resolve("x")).doesNotExist();
    }

    @Test
    void refusesAWorkDirectoryEverySandboxWouldSee() {
        assertThatThrownBy(() ->
                        Bubblewrap.requireOutsideSystemPaths(Path.of("/usr/local/iac-agent"), "the work directory"))
                .isInstanceOf(SandboxUnavailableException.class)
                .hasMessageContaining("/usr/local/iac-agent is under /usr");
        Bubblewrap.requireOutsideSystemPaths(dir, "the work directory");
    }

    @Test
    void aSandboxThatCannotStartIsRefusedWithTheReasonAndTheFixes() {
        assertThatThrownBy(() -> Bubblewrap.verified(Path.of("/bin/false")))
                .isInstanceOf(SandboxUnavailableException.class)
                .hasMessageContaining("a trial sandbox failed (/bin/false exited with 1")
                .hasMessageContaining("apt-get install bubblewrap")
                .hasMessageContaining("user namespaces")
                .hasMessageContaining("--isolation none");
        assertThatThrownBy(() -> Bubblewrap.verified(Map.of("PATH", dir.toString()), Path.of("/nonexistent/bwrap")))
                .hasMessageContaining("bwrap is not installed");
    }
}
