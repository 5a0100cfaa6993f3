package io.iacrunner.agent.load;

import java.util.Locale;

/**
 * How many plans the agent takes at once, adapted to its load: additive increase, multiplicative decrease, with
 * hysteresis. Under pressure (a CPU that makes tasks wait, seen in two readings in a row, or too little memory left)
 * the slots are halved; when the load is low and every slot is in use they grow by one per reading. Between the two
 * thresholds they stay. Two rules
 * keep it from swinging: after a cut it grows again only after {@link #HOLD_AFTER_CUT} calm readings, and it cuts
 * again only once the plans running have come down to the slots it last set (plans are never stopped to adapt, so
 * the load of a cut shows only as those plans end), and it grows only if one more plan, needing as much memory as the
 * most a plan has been seen to need, would still leave the reserve (a plan just started has not reached its peak yet,
 * so the memory left at a reading overstates the room). What a plan needs is learnt from both the memory in use per
 * plan and the largest task's own processes ({@link TaskProcesses}): the first alone understates it while the plans
 * running are of different ages. Slots stay between 1 and the cap (the pool's
 * {@code max_plan_concurrency}, lowered by {@code --max-plans}). Not thread-safe: one loop steps it.
 */
public final class AdaptiveSlots {
    /**
     * Some task waited for a CPU this share of the time or more: too many plans for the CPUs. High, because "some"
     * counts any task waiting: with exactly one plan per CPU, Terraform's own helper threads, the agent and whatever
     * else runs keep it near two thirds (measured: 66 % at 2 plans on 2 CPUs, the best fixed setting), and cutting
     * there only idles a CPU.
     */
    static final double CPU_WAITING_HIGH = 0.85;
    /** Below this share, one more plan is likely to find a CPU. */
    static final double CPU_WAITING_LOW = 0.30;
    /**
     * CPU pressure cuts only when this many readings in a row show it: a plan starting (Terraform loading its
     * providers, say) makes a burst that one reading sees and the next does not. Memory pressure cuts at once: the
     * OOM killer does not wait.
     */
    static final int CPU_READINGS_TO_CUT = 2;
    /** Without pressure information: the CPU is this busy or more. */
    static final double CPU_BUSY_HIGH = 0.95;

    static final double CPU_BUSY_LOW = 0.80;
    /** Memory left below which a new plan risks the OOM killer: this share of the limit, and at least the floor. */
    static final double MEMORY_RESERVE_SHARE = 0.10;

    static final long MEMORY_RESERVE_FLOOR = 256L << 20;
    /** Readings after a cut during which the slots do not grow. */
    static final int HOLD_AFTER_CUT = 3;

    private int slots;
    private int hold;
    private int cpuPressured;
    private String reason = "starting";
    /** Memory in use while no plan ran (the agent itself, and whatever else shares its limit): the least seen. */
    private long baseline = -1;
    /**
     * The most memory one plan has been seen to need: the largest (use − baseline) / plans running, or the largest
     * single task's processes, so far.
     */
    private long perPlan;

    /** @param initial the slots before the first reading (clamped to the cap then) */
    public AdaptiveSlots(int initial) {
        this.slots = Math.max(1, initial);
    }

    /**
     * Takes one reading into account.
     *
     * @param plansRunning the plans running now
     * @param largestTask the resident memory of the largest task's processes now, in bytes (0 when unknown)
     * @param cap the most slots allowed now; 0 when the pool allows no plans at all
     * @return the slots from now on
     */
    public int step(Load load, int plansRunning, long largestTask, int cap) {
        if (cap <= 0) {
            reason = "the pool allows no plans";
            return slots = 0;
        }
        slots = Math.clamp(slots, 1, cap);
        learnMemory(load, plansRunning, largestTask);
        String pressure = memoryPressure(load);
        String cpu = cpuPressure(load);
        cpuPressured = cpu == null ? 0 : cpuPressured + 1;
        if (pressure == null && cpuPressured >= CPU_READINGS_TO_CUT) pressure = cpu;
        if (pressure == null && cpu != null) {
            reason = cpu + " (once; a cut needs it " + CPU_READINGS_TO_CUT + " readings in a row)";
            return slots;
        }
        if (pressure != null) {
            reason = pressure;
            if (plansRunning <= slots && slots > 1) {
                slots = slots - Math.max(1, slots / 2);
                hold = HOLD_AFTER_CUT;
            }
            return slots;
        }
        reason = describe(load);
        if (hold > 0) {
            hold--;
            return slots;
        }
        if (calm(load) && plansRunning >= slots && slots < cap) {
            if (roomForOneMore(load, plansRunning)) {
                slots++;
            } else {
                reason += String.format(Locale.ROOT, ", no room for a plan of %.1f GiB", perPlan / (double) (1L << 30));
            }
        }
        return slots;
    }

    private void learnMemory(Load load, int plansRunning, long largestTask) {
        if (load.memLimit() <= 0) return;
        perPlan = Math.max(perPlan, largestTask);
        long used = load.memLimit() - load.memAvailable();
        if (plansRunning == 0) {
            baseline = baseline < 0 ? used : Math.min(baseline, used);
        } else {
            perPlan = Math.max(perPlan, (used - Math.max(0, baseline)) / plansRunning);
        }
    }

    /** Whether the plans running, each at the most a plan has needed, and one more would leave the reserve. */
    private boolean roomForOneMore(Load load, int plansRunning) {
        if (load.memLimit() <= 0 || perPlan == 0) return true;
        long used = load.memLimit() - load.memAvailable();
        long projected = Math.max(used, Math.max(0, baseline) + perPlan * plansRunning) + perPlan;
        return load.memLimit() - projected >= reserve(load);
    }

    public int slots() {
        return slots;
    }

    /** Why the slots are what they are: the pressure that cut them, or the load that let them be. */
    public String reason() {
        return reason;
    }

    /** Too little memory left, said as the ping says it; null when there is enough. */
    private static String memoryPressure(Load load) {
        return load.memLimit() > 0 && load.memAvailable() < reserve(load) ? memory(load) : null;
    }

    /** Too much CPU demand, said as the ping says it ({@code "cpu 97 %"}); null when there is not. */
    private static String cpuPressure(Load load) {
        if (load.cpuWaiting() >= 0) {
            if (load.cpuWaiting() >= CPU_WAITING_HIGH) return "cpu waiting " + percent(load.cpuWaiting());
        } else if (load.cpuBusy() >= CPU_BUSY_HIGH) {
            return "cpu " + percent(load.cpuBusy());
        }
        return null;
    }

    /** Low enough to take one more plan: well under both thresholds (the gap is the hysteresis). */
    private static boolean calm(Load load) {
        boolean memory = load.memLimit() <= 0 || load.memAvailable() >= 2 * reserve(load);
        boolean cpu = load.cpuWaiting() >= 0
                ? load.cpuWaiting() < CPU_WAITING_LOW
                : load.cpuBusy() >= 0 && load.cpuBusy() < CPU_BUSY_LOW;
        return memory && cpu;
    }

    private static long reserve(Load load) {
        return Math.max(MEMORY_RESERVE_FLOOR, (long) (load.memLimit() * MEMORY_RESERVE_SHARE));
    }

    private static String describe(Load load) {
        String cpu = load.cpuBusy() < 0 ? "cpu unknown" : "cpu " + percent(load.cpuBusy());
        return load.memLimit() > 0 ? cpu + ", " + memory(load) : cpu;
    }

    private static String memory(Load load) {
        return String.format(Locale.ROOT, "memory available %.1f GiB", load.memAvailable() / (double) (1L << 30));
    }

    private static String percent(double share) {
        return Math.round(share * 100) + " %";
    }
}
