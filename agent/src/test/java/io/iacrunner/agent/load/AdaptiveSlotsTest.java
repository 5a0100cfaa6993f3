package io.iacrunner.agent.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdaptiveSlotsTest {
    private static final long GIB = 1L << 30;
    private static final Load CALM = new Load(0.30, 0.05, 6 * GIB, 8 * GIB);
    /** One plan per CPU keeps some task waiting about two thirds of the time: no reason to cut, nor to grow. */
    private static final Load BETWEEN = new Load(0.85, 0.66, 6 * GIB, 8 * GIB);

    private static final Load CPU_PRESSURE = new Load(1.0, 0.95, 6 * GIB, 8 * GIB);
    private static final Load LOW_MEMORY = new Load(0.30, 0.05, GIB / 2, 8 * GIB);

    @Test
    void growsByOneWhileCalmAndEverySlotIsUsedUpToTheCap() {
        AdaptiveSlots slots = new AdaptiveSlots(1);
        assertThat(slots.step(CALM, 1, 0, 3)).isEqualTo(2);
        assertThat(slots.step(CALM, 2, 0, 3)).isEqualTo(3);
        assertThat(slots.step(CALM, 3, 0, 3)).as("never above the cap").isEqualTo(3);
        assertThat(slots.reason()).isEqualTo("cpu 30 %, memory available 6.0 GiB");
    }

    @Test
    void doesNotGrowWhileSlotsStandIdle() {
        AdaptiveSlots slots = new AdaptiveSlots(2);
        assertThat(slots.step(CALM, 1, 0, 8)).isEqualTo(2);
        assertThat(slots.step(CALM, 0, 0, 8)).isEqualTo(2);
    }

    @Test
    void halvesUnderPressureAndCutsAgainOnlyOnceTheRunningPlansCameDownToTheSlots() {
        AdaptiveSlots slots = new AdaptiveSlots(8);
        assertThat(slots.step(CPU_PRESSURE, 8, 0, 8))
                .as("one reading is a burst")
                .isEqualTo(8);
        assertThat(slots.reason()).isEqualTo("cpu waiting 95 % (once; a cut needs it 2 readings in a row)");
        assertThat(slots.step(CPU_PRESSURE, 8, 0, 8)).isEqualTo(4);
        assertThat(slots.reason()).isEqualTo("cpu waiting 95 %");
        assertThat(slots.step(CPU_PRESSURE, 8, 0, 8))
                .as("the cut has not shown yet: 8 still run")
                .isEqualTo(4);
        assertThat(slots.step(CPU_PRESSURE, 4, 0, 8)).isEqualTo(2);
        assertThat(slots.step(CPU_PRESSURE, 2, 0, 8)).isEqualTo(1);
        assertThat(slots.step(CPU_PRESSURE, 1, 0, 8)).as("never below 1").isEqualTo(1);
        assertThat(slots.step(CPU_PRESSURE, 0, 0, 8)).isEqualTo(1);
    }

    @Test
    void holdsAfterACutThenComesBackWhenThePressureIsGone() {
        AdaptiveSlots slots = new AdaptiveSlots(4);
        slots.step(CPU_PRESSURE, 4, 0, 4);
        assertThat(slots.step(CPU_PRESSURE, 4, 0, 4)).isEqualTo(2);
        for (int i = 0; i < AdaptiveSlots.HOLD_AFTER_CUT; i++) {
            assertThat(slots.step(CALM, 2, 0, 4)).as("held after the cut").isEqualTo(2);
        }
        assertThat(slots.step(CALM, 2, 0, 4)).isEqualTo(3);
        assertThat(slots.step(CALM, 3, 0, 4)).isEqualTo(4);
    }

    @Test
    void staysBetweenTheThresholds() {
        AdaptiveSlots slots = new AdaptiveSlots(3);
        assertThat(slots.step(BETWEEN, 3, 0, 8)).isEqualTo(3);
        assertThat(slots.step(BETWEEN, 3, 0, 8)).isEqualTo(3);
    }

    @Test
    void littleMemoryLeftIsPressureWhateverTheCpu() {
        AdaptiveSlots slots = new AdaptiveSlots(4);
        assertThat(slots.step(LOW_MEMORY, 4, 0, 4)).isEqualTo(2);
        assertThat(slots.reason()).isEqualTo("memory available 0.5 GiB");
    }

    @Test
    void withoutPressureInformationTheBusyCpuDecides() {
        AdaptiveSlots slots = new AdaptiveSlots(4);
        slots.step(new Load(0.97, -1, 6 * GIB, 8 * GIB), 4, 0, 4);
        assertThat(slots.step(new Load(0.97, -1, 6 * GIB, 8 * GIB), 4, 0, 4)).isEqualTo(2);
        assertThat(slots.reason()).isEqualTo("cpu 97 %");
    }

    @Test
    void cpuBurstsThatNoTwoReadingsInARowShowCutNothing() {
        AdaptiveSlots slots = new AdaptiveSlots(4);
        for (int i = 0; i < 5; i++) {
            assertThat(slots.step(CPU_PRESSURE, 4, 0, 4)).isEqualTo(4);
            assertThat(slots.step(BETWEEN, 4, 0, 4)).isEqualTo(4);
        }
    }

    @Test
    void aLowerCapLowersTheSlotsAtOnceAndAPoolWithoutPlansHasNone() {
        AdaptiveSlots slots = new AdaptiveSlots(6);
        assertThat(slots.step(BETWEEN, 6, 0, 2)).isEqualTo(2);
        assertThat(slots.step(CALM, 2, 0, 0)).isZero();
        assertThat(slots.step(CALM, 0, 0, 2))
                .as("back to at least 1 once plans are allowed")
                .isEqualTo(1);
    }

    @Test
    void growsOnlyIfOneMorePlanAtTheMostAPlanHasNeededWouldLeaveTheReserve() {
        AdaptiveSlots slots = new AdaptiveSlots(1);
        long limit = 4 * GIB; // reserve: 10 % of it, 0.4 GiB
        assertThat(slots.step(used(limit, GIB / 2), 0, 0, 8)).isEqualTo(1); // the agent alone: 0.5 GiB
        // One plan, which has come to need 1 GiB: 1.5 GiB used; one more leaves 1.5 GiB.
        assertThat(slots.step(used(limit, 3 * GIB / 2), 1, 0, 8)).isEqualTo(2);
        // Two plans, both just started (little used yet): at 1 GiB each, a third would leave 0.5 GiB; a fourth not.
        assertThat(slots.step(used(limit, GIB), 2, 0, 8)).isEqualTo(3);
        assertThat(slots.step(used(limit, GIB), 3, 0, 8))
                .as("the memory left looks calm, but three plans will need 3.5 GiB")
                .isEqualTo(3);
        assertThat(slots.reason()).endsWith("no room for a plan of 1.0 GiB");
    }

    @Test
    void aPlanWhoseOwnProcessesNeedMoreThanTheAverageSetsTheSizeOfOne() {
        AdaptiveSlots slots = new AdaptiveSlots(3);
        long limit = 4 * GIB; // reserve: 0.4 GiB
        slots.step(used(limit, 0), 0, 0, 8);
        // Three plans of different ages: 1.2 GiB in all, 0.4 GiB each on average, but the oldest holds 1 GiB. One
        // more at 0.4 GiB would fit; at 1 GiB, once the two young ones grow, four would not.
        assertThat(slots.step(used(limit, 6 * GIB / 5), 3, GIB, 8))
                .as("the largest task, not the average, is what one more plan may come to need")
                .isEqualTo(3);
        assertThat(slots.reason()).endsWith("no room for a plan of 1.0 GiB");
    }

    /** A calm CPU and {@code used} of {@code limit} in use. */
    private static Load used(long limit, long used) {
        return new Load(0.30, 0.05, limit - used, limit);
    }
}
