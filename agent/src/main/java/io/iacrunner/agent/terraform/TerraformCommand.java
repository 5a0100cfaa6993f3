package io.iacrunner.agent.terraform;

import io.iacrunner.agent.logs.LineReader;
import io.iacrunner.agent.logs.SecretMasker;
import io.iacrunner.agent.sandbox.ProcessIsolation;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.LogStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running command of a task (Terraform or a hook): its output pumped into log lines, and a cancel that leaves no
 * process behind.
 */
public final class TerraformCommand {
    private static final Logger log = LoggerFactory.getLogger(TerraformCommand.class);

    private final Process process;
    private final ProcessIsolation isolation;
    private final Thread stdout;
    private final Thread stderr;
    private final Duration cancelGrace;
    private final AgentClock clock;
    /** Ends a graceful stop's grace period: counted down by Terraform's exit or by a forced cancel. */
    private final CountDownLatch killNow = new CountDownLatch(1);

    private Thread stopper;
    private boolean forced;
    /** Set when what was left of the process tree got SIGKILL: Terraform did not end on its own. */
    private volatile boolean killed;

    private TerraformCommand(
            Process process,
            ProcessIsolation isolation,
            Thread stdout,
            Thread stderr,
            Duration cancelGrace,
            AgentClock clock) {
        this.process = process;
        this.isolation = isolation;
        this.stdout = stdout;
        this.stderr = stderr;
        this.cancelGrace = cancelGrace;
        this.clock = clock;
        process.onExit().thenRun(killNow::countDown);
    }

    /**
     * Starts the two output pumps of a process just started. Each of stdout and stderr is masked with its own stream of
     * {@code secrets} before it is split into lines, so {@code lines} never sees a secret.
     *
     * @param cancelGrace how long a graceful stop waits, on {@code clock}, before it kills the process tree
     */
    static TerraformCommand of(
            Process process,
            ProcessIsolation isolation,
            BiConsumer<LogStream, String> lines,
            SecretMasker secrets,
            Duration cancelGrace,
            AgentClock clock)
            throws IOException {
        process.getOutputStream().close(); // stdin at EOF: nothing may wait for an answer
        String name = "terraform-" + process.pid();
        // Both streams are read at once: a full stderr pipe would otherwise stall Terraform while we read stdout.
        Thread out = pump(process.getInputStream(), LogStream.STDOUT, lines, secrets, name + "-out");
        Thread err = pump(process.getErrorStream(), LogStream.STDERR, lines, secrets, name + "-err");
        return new TerraformCommand(process, isolation, out, err, cancelGrace, clock);
    }

    private static Thread pump(
            InputStream in, LogStream stream, BiConsumer<LogStream, String> lines, SecretMasker secrets, String name) {
        return Thread.ofPlatform().daemon().name(name).start(() -> {
            try (in) {
                LineReader.forEachLine(in, secrets, line -> lines.accept(stream, line));
            } catch (IOException e) {
                lines.accept(
                        LogStream.SYSTEM,
                        "reading terraform's " + stream.name().toLowerCase() + " failed: " + e.getMessage());
            }
        });
    }

    /** Waits for the exit, the last line of output and, after a cancel, the end of every process it started. */
    public int waitFor() throws InterruptedException {
        int exit = process.waitFor();
        stdout.join();
        stderr.join();
        Thread cancelation = stopperThread();
        if (cancelation != null) cancelation.join();
        return exit;
    }

    public boolean wasCanceled() {
        return stopperThread() != null;
    }

    /**
     * Whether Terraform was killed rather than ending by itself (after SIGINT it writes its state and exits; killed,
     * it may not have). Meaningful after {@link #waitFor()}.
     */
    public boolean wasKilled() {
        return killed;
    }

    private synchronized Thread stopperThread() {
        return stopper;
    }

    private synchronized boolean forced() {
        return forced;
    }

    /**
     * Stops the command and returns at once. Gracefully: SIGINT first, so Terraform stops cleanly (writes state,
     * releases locks), and once it has exited or the grace period is over, SIGKILL to whatever is left of its process
     * tree. With {@code force}, the tree is killed at once, also when a graceful stop is already waiting out its grace
     * period. Otherwise repeated calls do nothing.
     */
    public synchronized void cancel(boolean force) {
        if (force) {
            forced = true;
            killNow.countDown();
        }
        // A command that already exited ran to its end: its real outcome stands.
        if (stopper != null || !process.isAlive()) return;
        // Taken before the signal: Terraform kills a provisioner's shell on SIGINT, and the shell's children are
        // then re-parented away from Terraform, out of reach of descendants().
        List<ProcessHandle> treeAtCancel = process.descendants().toList();
        stopper = Thread.ofPlatform()
                .daemon()
                .name("cancel-terraform-" + process.pid())
                .start(() -> stop(treeAtCancel));
    }

    private void stop(List<ProcessHandle> treeAtCancel) {
        if (!forced()) {
            sendInterrupt();
            // Terraform's exit ends the wait early (see the constructor), and so does a forced cancel.
            boolean ended;
            try {
                ended = clock.await(killNow, cancelGrace);
            } catch (InterruptedException e) {
                ended = false;
            }
            if (!ended)
                log.warn(
                        "terraform (pid {}) still running {} after SIGINT; killing its process tree",
                        process.pid(),
                        cancelGrace);
            else if (process.isAlive())
                log.info("terraform (pid {}): cancel forced; killing its process tree", process.pid());
        } else {
            log.info("terraform (pid {}): forced cancel; killing its process tree", process.pid());
        }
        if (process.isAlive()) killed = true;
        Stream.concat(treeAtCancel.stream(), process.descendants())
                .filter(ProcessHandle::isAlive)
                .forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /**
     * Java's destroy() sends SIGTERM; Terraform's documented graceful stop is SIGINT. It goes to the command itself,
     * which in a sandbox is not the process Java started ({@link ProcessIsolation#command}).
     */
    private void sendInterrupt() {
        ProcessHandle target = isolation.command(process).orElse(null);
        if (target == null) {
            log.info("the command of process {} has not started or has ended: nothing to interrupt", process.pid());
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(target.pid()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            kill.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            log.warn(
                    "cannot run kill to interrupt terraform (pid {}), sending SIGTERM: {}", target.pid(), e.toString());
            target.destroy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
