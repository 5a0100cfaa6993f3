package io.iacrunner.agent;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.TaskAction;

/**
 * What the agent can take on right now. The rule: plans run in parallel up to the plan limit; a {@code plan_apply}
 * runs alone, so while one runs nothing else is taken (unless the pool allows plans beside it), and one is taken
 * only when nothing at all runs.
 */
record Capacity(int freePlanSlots, boolean canTakeApply) {

    /** The pool's plan limit, lowered by the agent's own limit when that is set. */
    static int planLimit(PoolConfig pool, int localPlanLimit) {
        int limit = Math.max(0, pool.maxPlanConcurrency());
        return localPlanLimit > 0 ? Math.min(limit, localPlanLimit) : limit;
    }

    static Capacity of(PoolConfig pool, int localPlanLimit, int plansRunning, int appliesRunning) {
        boolean applyExclusive = appliesRunning > 0 && !pool.allowApplyConcurrent();
        int free = applyExclusive ? 0 : Math.max(0, planLimit(pool, localPlanLimit) - plansRunning);
        return new Capacity(free, plansRunning == 0 && appliesRunning == 0);
    }

    boolean isEmpty() {
        return freePlanSlots == 0 && !canTakeApply;
    }

    boolean admits(TaskAction action) {
        return action == TaskAction.PLAN_APPLY ? canTakeApply : freePlanSlots > 0;
    }
}
