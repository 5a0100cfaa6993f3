package io.iacrunner.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * What the soak does to the installation, and when: a list of faults drawn from a seed, so that a run that found a
 * bug can be repeated fault for fault ({@code --seed}). Faults start after a calm first stretch (the baseline) and
 * stop a while before the end (the last restart has time to recover before the drain); every kind comes once in
 * each round of {@code Kind.values().length} faults, in an order the seed shuffles.
 */
record ChaosSchedule(long seed, List<Fault> faults) {
    static final Duration CALM_START = Duration.ofSeconds(40);
    static final Duration CALM_END = Duration.ofSeconds(40);
    static final int MIN_GAP_SECONDS = 15;
    static final int MAX_GAP_SECONDS = 35;

    enum Kind {
        KILL_AGENT("SIGKILL real agent %d, start it again 5 s later"),
        KILL_REPLICA("SIGKILL replica B, start it again on its port 10 s later"),
        RESTART_REDIS("SIGKILL Redis, start it again on its port 3 s later"),
        CUT_CONNECTIONS("cut every agent connection at the proxy");

        final String description;

        Kind(String description) {
            this.description = description;
        }
    }

    /** One fault: {@code at} from the start of the run; {@code agent}: which real agent (KILL_AGENT only, else -1). */
    record Fault(Duration at, Kind kind, int agent) {
        String describe() {
            return String.format(java.util.Locale.ROOT, kind.description, agent);
        }
    }

    static ChaosSchedule of(long seed, Duration run, int realAgents) {
        Random random = new Random(seed);
        List<Fault> faults = new ArrayList<>();
        List<Kind> round = new ArrayList<>();
        long last = run.minus(CALM_END).toSeconds();
        for (long t = CALM_START.toSeconds();
                t <= last;
                t += MIN_GAP_SECONDS + random.nextInt(MAX_GAP_SECONDS - MIN_GAP_SECONDS + 1)) {
            if (round.isEmpty()) {
                round.addAll(List.of(Kind.values()));
                Collections.shuffle(round, random);
            }
            Kind kind = round.removeFirst();
            faults.add(
                    new Fault(Duration.ofSeconds(t), kind, kind == Kind.KILL_AGENT ? random.nextInt(realAgents) : -1));
        }
        return new ChaosSchedule(seed, List.copyOf(faults));
    }

    /** The schedule as printed before the run and quoted in the report: one line per fault. */
    String describe() {
        StringBuilder s = new StringBuilder();
        for (Fault f : faults) {
            s.append(String.format(java.util.Locale.ROOT, "  %4d s  %s%n", f.at().toSeconds(), f.describe()));
        }
        return s.toString();
    }
}
