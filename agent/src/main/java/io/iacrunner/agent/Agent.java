package io.iacrunner.agent;

import io.iacrunner.agent.load.CgroupLoadProbe;
import io.iacrunner.agent.load.TaskProcesses;
import io.iacrunner.agent.sandbox.ProcessIsolation;
import io.iacrunner.agent.sandbox.SandboxUnavailableException;
import io.iacrunner.agent.terraform.CliConfig;
import io.iacrunner.agent.terraform.Hooks;
import io.iacrunner.agent.terraform.Launcher;
import io.iacrunner.agent.terraform.TerraformChooser;
import io.iacrunner.agent.terraform.TerraformVersions;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.RegisterRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pull-mode agent: registers with the server, then pings and pulls on threads of its own and runs each task it
 * gets on another; a {@link Lease} watches that pings get through. Built from its config alone; {@link #close()} is
 * safe from a shutdown hook. Its loops and timers run on an {@link AgentClock}: the system's, or one a test steps.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    static final String VERSION =
            Objects.requireNonNullElse(Agent.class.getPackage().getImplementationVersion(), "dev");
    /** After a shutdown's cancel: the grace period plus this much for the state upload, the last log lines, the result. */
    private static final Duration REPORT_WAIT = Duration.ofSeconds(30);
    /** After giving up on reports: time for the killed tasks' threads to end. */
    private static final Duration DROP_WAIT = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final AgentClock clock;
    private final AgentSession session;
    private final CountDownLatch stopPulling = new CountDownLatch(1);
    private final CountDownLatch stopPinging = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);

    private final Object lifecycle = new Object();
    private boolean started;
    private boolean closing;
    private WorkDir workDir;
    private RunningTasks tasks;
    private Lease lease;
    private Thread pinger;
    private Thread puller;
    private SpoolRecovery recovery;

    public Agent(AgentConfig config) {
        this(config, AgentClock.system());
    }

    public Agent(AgentConfig config, AgentClock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.session = new AgentSession(
                config.servers(),
                config.tokenFile(),
                new RegisterRequest(
                        config.name(),
                        VERSION,
                        hostname(config.name()),
                        config.runs().isolation(),
                        null),
                new SavedIdentity(config.workDir()),
                config.transport(),
                clock);
    }

    /**
     * Takes over the work directory, registers (waiting as long as the server is unreachable; a refused pool token
     * throws), and starts pinging and pulling. Returns early, doing nothing, when {@link #close()} came first.
     */
    public void start() {
        synchronized (lifecycle) {
            if (started) throw new IllegalStateException("the agent was already started");
            started = true;
            if (closing) return;
        }
        // Before anything else: an agent that cannot sandbox its tasks must not even register.
        ProcessIsolation isolation = ProcessIsolation.of(config.runs().isolation(), config.workDir(), System.getenv());
        Launcher.requireApart(config.workDir(), config.runs().readOnlyPaths());
        WorkDir dir;
        try {
            dir = WorkDir.open(
                    config.workDir(),
                    config.claims().minFreeDisk(),
                    CliConfig.of(config.runs().providerMirror()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use work directory " + config.workDir() + ": " + e.getMessage(), e);
        }
        try {
            if (!session.register(stopPulling)) {
                dir.close();
                return;
            }
        } catch (InterruptedException e) {
            dir.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering", e);
        } catch (RuntimeException e) {
            dir.close();
            throw e;
        }
        log.info(
                "registered with {} as agent {} in pool {} (plan limit {}{})",
                config.servers(),
                session.agentId(),
                session.pool().poolId(),
                Capacity.planLimit(session.pool(), config.localPlanLimit()),
                config.adaptive() ? ", adapted to the load" : "");
        TaskProcesses processes = new TaskProcesses();
        PlanSlots slots = new PlanSlots(
                config.localPlanLimit(),
                config.loadProbe() != null ? config.loadProbe() : CgroupLoadProbe.forThisProcess(clock),
                processes,
                config.adaptive());
        RunningTasks running = new RunningTasks(session::pool, slots, clock);
        Lease held =
                new Lease(session.leaseSeconds(), session.registeredAt(), silent -> leaseLost(running, silent), clock);
        Launcher launcher = new Launcher(
                isolation,
                System.getenv(),
                config.cancelGrace(),
                config.runs().readOnlyPaths(),
                Hooks.in(config.runs().hooksDir()),
                clock,
                processes);
        TerraformChooser terraforms;
        try {
            terraforms = new TerraformChooser(
                    config.terraform(),
                    config.versions().defaultVersion(),
                    config.versions().product(),
                    TerraformVersions.create(
                            config.versionsDir(), config.versions().mirrors(), System.getenv(), VERSION),
                    System.getenv(),
                    launcher);
        } catch (IOException e) {
            dir.close();
            throw new UncheckedIOException(
                    "cannot use the Terraform versions directory " + config.versionsDir() + ": " + e.getMessage(), e);
        }
        synchronized (lifecycle) {
            if (closing) {
                dir.close();
                return;
            }
            workDir = dir;
            tasks = running;
            lease = held;
            held.start();
            // Beside the pull loop: until the leftover attempts have reported, the server counts them as running here.
            recovery = new SpoolRecovery(session, dir, config.logWebSocket(), clock);
            AgentState state = new AgentState(session, running, held, dir.disk(), clock);
            LoadLoop load = new LoadLoop(slots, running, session::pool, clock, stopPulling);
            load.readOnce(); // the first pull already asks for what the load allows
            Thread.ofPlatform().name("agent-load").daemon().start(load);
            pinger = Thread.ofPlatform()
                    .name("agent-ping")
                    .start(new PingLoop(state, VERSION, stopPinging, recovery::taskIds, slots));
            Thread.ofPlatform().name("agent-spool-recovery").daemon().start(recovery);
            Intake intake = Intake.of(config.claims());
            TaskRunners runners = new TaskRunners(session, dir, terraforms, config.logWebSocket(), clock);
            puller = Thread.ofPlatform()
                    .name("agent-pull")
                    .start(new PullLoop(state, runners, config.pullWait(), stopPulling, intake));
            if (config.claims().single()) {
                Thread.ofPlatform().daemon().name("agent-single").start(() -> closeAfterTheOneTask(intake, running));
            }
        }
    }

    /**
     * Why this machine cannot give an agent with {@code workDir} its task sandbox (what to do about it included), or
     * empty when it can: for {@code ./iac dev}, which then runs without one and says so.
     */
    public static java.util.Optional<String> sandboxProblem(java.nio.file.Path workDir) {
        try {
            ProcessIsolation.of(io.iacrunner.protocol.Isolation.SANDBOX, workDir, System.getenv());
            return java.util.Optional.empty();
        } catch (SandboxUnavailableException e) {
            return java.util.Optional.of(e.getMessage());
        }
    }

    /** What {@code --isolation none} exposes, for the CLI's warning. */
    public static String noSandboxWarning() {
        return ProcessIsolation.NO_SANDBOX_WARNING;
    }

    /** {@code --single}: once the one task was taken and has reported, the agent stops as on SIGTERM. */
    private void closeAfterTheOneTask(Intake intake, RunningTasks running) {
        try {
            intake.awaitExhausted();
            while (!running.awaitEmpty(Duration.ofHours(1))) {
                // The run may take as long as its max_run_time allows.
            }
            log.info("single-run agent: its task is done; stopping");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** The id the server knows this agent by; it changes when the agent has to register again. */
    public String agentId() {
        return session.agentId();
    }

    /**
     * No ping has got through for the lease time. Nothing is stopped: an apply is waited for by the server and
     * delivered when a server answers again, and a plan the server has queued again elsewhere is stopped when the
     * server says so (a stale upload, or a cancel in the next ping reply). Killing work because the server cannot be
     * reached would gain nothing and lose what the run did. New work waits for a successful ping.
     */
    private static void leaseLost(RunningTasks running, Duration silent) {
        log.error(
                "no ping has reached the server for {} s, the agent's lease: {} running task(s) go on, their logs"
                        + " spooled until a server takes them; applies are waited for, plans may be run again elsewhere; no new"
                        + " work until a ping gets through",
                silent.toSeconds(),
                running.size());
    }

    /**
     * The longest {@link #close()} takes with this configuration: the drain, the cancel grace, and bounded time for
     * reports and deregistration.
     */
    public static Duration closeLimit(AgentConfig config) {
        return config.drainTimeout()
                .plus(config.cancelGrace())
                .plus(REPORT_WAIT)
                .plus(DROP_WAIT)
                .plus(Duration.ofSeconds(30));
    }

    /**
     * Graceful shutdown. Stops pulling at once; lets the running tasks go on to their end for up to the drain timeout;
     * cancels what is left (SIGINT, the cancel grace, then kill) and waits for their reports; deregisters; and only
     * then stops pinging: an agent that went silent while its tasks still ran would have them handed to another
     * agent. Every wait is bounded (see {@link #closeLimit}). A second call waits for the first.
     */
    @Override
    public void close() {
        Thread ping;
        Thread pull;
        RunningTasks running;
        Lease held;
        WorkDir dir;
        SpoolRecovery recovering;
        synchronized (lifecycle) {
            if (closing) {
                awaitFirstClose();
                return;
            }
            closing = true;
            recovering = recovery;
            ping = pinger;
            pull = puller;
            running = tasks;
            held = lease;
            dir = workDir;
        }
        try {
            stopPulling.countDown();
            if (recovering != null) recovering.stop();
            if (pull != null) {
                pull.interrupt(); // a long poll may otherwise hold shutdown for its whole wait
                pull.join();
            }
            if (running != null) drain(running);
            session.stop(); // no re-registration from here on: the agent is leaving
            if (running != null) session.deregister();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("interrupted while waiting for tasks to stop; they may not have reported");
        } finally {
            session.stop();
            stopPinging.countDown();
            if (ping != null) ping.interrupt(); // ends a ping in flight; nothing needs its reply now
            joinQuietly(ping);
            if (held != null) held.close();
            if (dir != null) dir.close();
            terminated.countDown();
            log.info("agent stopped");
        }
    }

    private void drain(RunningTasks running) throws InterruptedException {
        Duration drain = config.drainTimeout();
        if (running.size() > 0 && drain.isPositive()) {
            log.info(
                    "stopping: no new work; waiting up to {} s for {} running task(s) to finish",
                    drain.toSeconds(),
                    running.size());
        }
        if (running.awaitEmpty(drain)) return;
        log.info("stopping: canceling {} running task(s) and waiting for their reports", running.size());
        running.cancelAll("the agent is shutting down");
        if (running.awaitEmpty(config.cancelGrace().plus(REPORT_WAIT))) return;
        int dropped = running.dropAll("the agent is shutting down and the task could not report in time");
        log.error(
                "stopping: {} task(s) did not report within {} s of their cancel; killed them without a report",
                dropped,
                config.cancelGrace().plus(REPORT_WAIT).toSeconds());
        if (!running.awaitEmpty(DROP_WAIT))
            log.error("stopping: {} task(s) still did not end; leaving them", running.size());
    }

    private void awaitFirstClose() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinQuietly(Thread thread) {
        if (thread == null) return;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hostname(String fallback) {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return fallback;
        }
    }
}
