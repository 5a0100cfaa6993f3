package io.iacrunner.agent;

import io.iacrunner.protocol.RegisterRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pull-mode agent: registers with the server, then pings and pulls on threads of its own and runs each task it
 * gets on another. Built from its config alone; {@link #close()} is safe from a shutdown hook.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    static final String VERSION = Objects.requireNonNullElse(Agent.class.getPackage().getImplementationVersion(), "dev");

    private final AgentConfig config;
    private final AgentSession session;
    private final CountDownLatch stopPulling = new CountDownLatch(1);
    private final CountDownLatch stopPinging = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);

    private final Object lifecycle = new Object();
    private boolean started;
    private boolean closing;
    private WorkDir workDir;
    private RunningTasks tasks;
    private Thread pinger;
    private Thread puller;

    public Agent(AgentConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.session = new AgentSession(config.serverUrl(), config.tokenFile(),
                new RegisterRequest(config.name(), VERSION, hostname(config.name())));
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
        WorkDir dir;
        try {
            dir = WorkDir.open(config.workDir());
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
        log.info("registered with {} as agent {} in pool {} (plan limit {})", config.serverUrl(), session.agentId(),
                session.pool().poolId(), Capacity.planLimit(session.pool(), config.localPlanLimit()));
        RunningTasks running = new RunningTasks(session::pool, config.localPlanLimit());
        Terraform terraform = new Terraform(config.terraform(), System.getenv(), config.cancelGrace());
        synchronized (lifecycle) {
            if (closing) {
                dir.close();
                return;
            }
            workDir = dir;
            tasks = running;
            pinger = Thread.ofPlatform().name("agent-ping").start(new PingLoop(session, running, VERSION, stopPinging));
            puller = Thread.ofPlatform().name("agent-pull").start(new PullLoop(session, running,
                    task -> new TaskRunner(task, session, dir, terraform), config.pullWait(), stopPulling));
        }
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
     * Stops pulling, cancels the running tasks and waits until each has reported, and only then stops pinging: an
     * agent that went silent while its tasks still ran would have them handed to another agent. A second call waits
     * for the first.
     */
    @Override
    public void close() {
        Thread ping;
        Thread pull;
        RunningTasks running;
        WorkDir dir;
        synchronized (lifecycle) {
            if (closing) {
                awaitFirstClose();
                return;
            }
            closing = true;
            ping = pinger;
            pull = puller;
            running = tasks;
            dir = workDir;
        }
        try {
            stopPulling.countDown();
            if (pull != null) {
                pull.interrupt(); // a long poll may otherwise hold shutdown for its whole wait
                pull.join();
            }
            if (running != null) {
                log.info("stopping: canceling {} running task(s) and waiting for their reports", running.snapshot().taskIds().size());
                running.cancelAll("the agent is shutting down");
                running.awaitEmpty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("interrupted while waiting for tasks to stop; they may not have reported");
        } finally {
            stopPinging.countDown();
            session.stop(); // before the join: a ping may be busy registering again
            joinQuietly(ping);
            if (dir != null) dir.close();
            terminated.countDown();
            log.info("agent stopped");
        }
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
