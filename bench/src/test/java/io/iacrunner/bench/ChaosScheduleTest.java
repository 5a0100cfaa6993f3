package io.iacrunner.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosScheduleTest {
    @Test
    void theSameSeedGivesTheSameFaultsAndAnotherSeedOthers() {
        Duration run = Duration.ofMinutes(60);
        assertThat(ChaosSchedule.of(7, run, 3)).isEqualTo(ChaosSchedule.of(7, run, 3));
        assertThat(ChaosSchedule.of(7, run, 3).faults())
                .isNotEqualTo(ChaosSchedule.of(8, run, 3).faults());
    }

    @Test
    void faultsKeepToTheMiddleOfTheRunWithGapsWithinBounds() {
        Duration run = Duration.ofMinutes(10);
        List<ChaosSchedule.Fault> faults = ChaosSchedule.of(1, run, 3).faults();
        assertThat(faults.getFirst().at()).isEqualTo(ChaosSchedule.CALM_START);
        assertThat(faults.getLast().at()).isLessThanOrEqualTo(run.minus(ChaosSchedule.CALM_END));
        for (int i = 1; i < faults.size(); i++) {
            long gap = faults.get(i).at().minus(faults.get(i - 1).at()).toSeconds();
            assertThat(gap).isBetween((long) ChaosSchedule.MIN_GAP_SECONDS, (long) ChaosSchedule.MAX_GAP_SECONDS);
        }
    }

    @Test
    void everyKindComesOnceInEachRoundAndOnlyAgentKillsNameAnAgent() {
        List<ChaosSchedule.Fault> faults =
                ChaosSchedule.of(42, Duration.ofMinutes(30), 3).faults();
        int kinds = ChaosSchedule.Kind.values().length;
        for (int start = 0; start + kinds <= faults.size(); start += kinds) {
            EnumSet<ChaosSchedule.Kind> round = EnumSet.noneOf(ChaosSchedule.Kind.class);
            faults.subList(start, start + kinds).forEach(f -> round.add(f.kind()));
            assertThat(round).containsExactlyInAnyOrder(ChaosSchedule.Kind.values());
        }
        for (ChaosSchedule.Fault f : faults) {
            if (f.kind() == ChaosSchedule.Kind.KILL_AGENT) assertThat(f.agent()).isBetween(0, 2);
            else assertThat(f.agent()).isEqualTo(-1);
        }
    }

    @Test
    void aRunTooShortForFaultsHasNone() {
        assertThat(ChaosSchedule.of(1, Duration.ofSeconds(60), 3).faults()).isEmpty();
    }
}
