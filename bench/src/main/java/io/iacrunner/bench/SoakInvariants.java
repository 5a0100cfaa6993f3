package io.iacrunner.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The soak's invariants over rows read from the store, the log API and the agents: pure functions, so that each can
 * be tried on rows made by hand. Each returns the offending task ids (empty: the invariant held).
 */
final class SoakInvariants {
    private SoakInvariants() {}

    /** An agent starting an attempt: from a pull response (simulated agents) or a real agent's own log. */
    record Claim(String taskId, int attempt, String agent) {}

    /** A plan_apply's claim to finish (null while it runs). */
    record Apply(String workspaceId, String taskId, Instant started, Instant finished) {}

    /** A running task and how long its agent has been silent. */
    record Running(String taskId, boolean applying, Duration agentSilent) {}

    /**
     * A finished attempt's log: the lines the store counted ({@code tasks.log_lines}), whether the server found it
     * complete, whether it had to be (a task that succeeded), and the seqs the replay endpoint returned, in order.
     */
    record Log(String taskId, long recorded, boolean complete, boolean mustBeComplete, long[] seqs) {}

    /** Attempts started more than once: the same (task, attempt) in two claims. */
    static List<String> claimedTwice(List<Claim> claims) {
        Map<String, Integer> seen = new HashMap<>();
        TreeSet<String> twice = new TreeSet<>();
        for (Claim c : claims) {
            if (seen.merge(c.taskId() + "#" + c.attempt(), 1, Integer::sum) > 1) twice.add(c.taskId());
        }
        return List.copyOf(twice);
    }

    /**
     * plan_applies of one workspace whose runs overlap: one started before the one before it finished (or while it
     * still runs). Both tasks of each overlapping pair are named.
     */
    static List<String> overlappingApplies(List<Apply> applies) {
        Map<String, List<Apply>> byWorkspace = new HashMap<>();
        for (Apply a : applies)
            byWorkspace.computeIfAbsent(a.workspaceId(), w -> new ArrayList<>()).add(a);
        TreeSet<String> overlapping = new TreeSet<>();
        for (List<Apply> list : byWorkspace.values()) {
            list.sort(Comparator.comparing(Apply::started));
            Apply longest = null; // of those seen so far, the one that ends last
            for (Apply a : list) {
                if (longest != null
                        && (longest.finished() == null || a.started().isBefore(longest.finished()))) {
                    overlapping.add(longest.taskId());
                    overlapping.add(a.taskId());
                }
                if (longest == null || ends(a).isAfter(ends(longest))) longest = a;
            }
        }
        return List.copyOf(overlapping);
    }

    private static Instant ends(Apply a) {
        return a.finished() == null ? Instant.MAX : a.finished();
    }

    /**
     * Running tasks whose agent has been silent longer than the server may let them run: the lease plus {@code
     * slack} (the lease monitor's period and a loaded machine's delays), and for an apply the lost-apply window on top
     * (an apply whose agent is gone waits that long for it).
     */
    static List<String> stuckPastLease(
            List<Running> running, Duration lease, Duration lostApplyWindow, Duration slack) {
        List<String> stuck = new ArrayList<>();
        for (Running r : running) {
            Duration allowed = lease.plus(slack).plus(r.applying() ? lostApplyWindow : Duration.ZERO);
            if (r.agentSilent().compareTo(allowed) > 0) stuck.add(r.taskId());
        }
        return stuck;
    }

    /** Why a finished attempt's log is wrong (a gap, a duplicate, a count that differs, incomplete), or null. */
    static String logProblem(Log log) {
        long[] seqs = log.seqs();
        for (int i = 0; i < seqs.length; i++) {
            if (seqs[i] != i) {
                return (i > 0 && seqs[i] <= seqs[i - 1] ? "duplicate or out of order" : "gap") + " at position " + i
                        + ": seq " + seqs[i];
            }
        }
        if (seqs.length != log.recorded())
            return "the replay returned " + seqs.length + " lines, the store counted " + log.recorded();
        if (log.mustBeComplete() && !log.complete()) return "succeeded with its log marked incomplete";
        return null;
    }
}
