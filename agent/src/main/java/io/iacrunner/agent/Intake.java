package io.iacrunner.agent;

import io.iacrunner.protocol.TaskAction;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * What the agent still takes on, besides what its capacity allows: only the actions it accepts ({@code --accept},
 * sent with every pull so the server's claim enforces it), and with {@code --single} one task in all, after which it
 * stops pulling and, once that task has reported, stops (for ephemeral containers: one run per agent process).
 */
final class Intake {
    private final Set<TaskAction> accept;
    private final boolean single;
    private final CountDownLatch exhausted = new CountDownLatch(1);

    Intake(Set<TaskAction> accept, boolean single) {
        this.accept = EnumSet.copyOf(accept);
        this.single = single;
    }

    static Intake of(AgentConfig.Claims claims) {
        return new Intake(claims.accept(), claims.single());
    }

    /** The capacity to ask for: none for actions not accepted, at most one task in all for a single-run agent. */
    Capacity limit(Capacity free) {
        int plans = accept.contains(TaskAction.PLAN) ? free.freePlanSlots() : 0;
        boolean apply = accept.contains(TaskAction.PLAN_APPLY) && free.canTakeApply();
        if (single) plans = Math.min(plans, 1);
        return new Capacity(plans, apply);
    }

    /** The actions to name in a pull; null (any) when the agent takes both, as older servers expect. */
    List<TaskAction> acceptInPull() {
        return accept.size() == TaskAction.values().length ? null : List.copyOf(accept);
    }

    boolean accepts(TaskAction action) {
        return accept.contains(action);
    }

    /** {@code count} tasks were started; a single-run agent takes no more after its first. */
    void took(int count) {
        if (single && count > 0) exhausted.countDown();
    }

    boolean exhausted() {
        return exhausted.getCount() == 0;
    }

    /** Blocks until a single-run agent has taken its task; forever for any other. */
    void awaitExhausted() throws InterruptedException {
        exhausted.await();
    }
}
