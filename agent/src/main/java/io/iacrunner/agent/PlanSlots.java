package io.iacrunner.agent;

import io.iacrunner.agent.load.AdaptiveSlots;
import io.iacrunner.agent.load.Load;
import io.iacrunner.agent.load.LoadProbe;
import io.iacrunner.agent.load.TaskProcesses;
import io.iacrunner.protocol.PoolConfig;

/**
 * How many plans the agent runs at once: the pool's {@code max_plan_concurrency}, lowered by {@code --max-plans} (a
 * hard cap), and, unless {@code --adaptive false}, by what its load allows now ({@link AdaptiveSlots}). Read by
 * {@link RunningTasks} for every capacity decision; stepped by {@link LoadLoop} at each reading of the load, whose last
 * figures the pings report.
 */
final class PlanSlots {
    private final int maxPlans;
    private final LoadProbe probe;
    private final TaskProcesses processes;
    private final AdaptiveSlots adaptive;
    private volatile Load last = new Load(-1, -1, 0, 0);
    private volatile int current;
    private volatile String reason;

    /**
     * @param maxPlans the local hard cap; 0 for the pool's limit alone
     * @param adaptive whether the load lowers the slots; they start at 1 and grow while the load allows (a slow
     *     start: a freshly started agent facing a long queue does not claim its whole limit before its first reading)
     * @param processes the tasks' processes, whose largest tells the size of a plan
     */
    PlanSlots(int maxPlans, LoadProbe probe, TaskProcesses processes, boolean adaptive) {
        this.maxPlans = maxPlans;
        this.probe = probe;
        this.processes = processes;
        this.adaptive = adaptive ? new AdaptiveSlots(1) : null;
        this.current = 1;
        this.reason = adaptive ? "starting" : "fixed (--adaptive false)";
    }

    /** The most plans the agent may run now. */
    int limit(PoolConfig pool) {
        int cap = cap(pool);
        return adaptive == null ? cap : Math.min(cap, current);
    }

    /** The pool's limit lowered by {@code --max-plans}: what the slots never exceed. */
    int cap(PoolConfig pool) {
        return Capacity.planLimit(pool, maxPlans);
    }

    /** Reads the load and adapts the slots to it; true when they changed. */
    synchronized boolean observe(int plansRunning, PoolConfig pool) {
        Load load = probe.read();
        last = load;
        if (adaptive == null) return false;
        int before = current;
        current = adaptive.step(load, plansRunning, processes.largest(), cap(pool));
        reason = adaptive.reason();
        return current != before;
    }

    /** The last reading, for the ping's CPU and memory figures. */
    Load load() {
        return last;
    }

    /** Why the slots are what they are, for the ping. */
    String reason() {
        return reason;
    }
}
