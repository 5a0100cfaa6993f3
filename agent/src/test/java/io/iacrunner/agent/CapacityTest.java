package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.TaskAction;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CapacityTest {

    @ParameterizedTest(name = "pool limit {0}, local limit {1} -> {2}")
    @CsvSource({
        "3, 0, 3", // no local cap: the pool's limit
        "3, 2, 2", // the local cap is lower
        "3, 5, 3", // a local cap above the pool's changes nothing
        "0, 2, 0", // a pool that allows no plans
        "-1, 0, 0", // a nonsensical pool value counts as none
    })
    void planLimitIsThePoolsLoweredByTheLocalLimit(int poolLimit, int localLimit, int expected) {
        assertThat(Capacity.planLimit(pool(poolLimit, false), localLimit)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "limit {0}, apply concurrent {1}, {2} plans + {3} applies -> {4} slots, apply {5}")
    @CsvSource({
        // limit, allowApplyConcurrent, plans, applies, freePlanSlots, canTakeApply
        "3, false, 0, 0, 3, true", // idle: anything
        "3, false, 1, 0, 2, false", // plans running: more plans, no apply
        "3, false, 3, 0, 0, false", // plans at the limit: nothing
        "3, false, 0, 1, 0, false", // an apply runs alone
        "3, true,  0, 1, 3, false", // ...unless the pool lets plans run beside it
        "3, true,  2, 1, 1, false",
        "3, true,  3, 1, 0, false",
        "0, false, 0, 0, 0, true", // no plans allowed, an apply still is
        "2, false, 5, 0, 0, false", // over the limit (the pool shrank): no negative slots
    })
    void applyRunsAloneAndPlansFillUpToTheLimit(
            int limit, boolean allowApplyConcurrent, int plans, int applies, int freePlanSlots, boolean canTakeApply) {
        Capacity capacity = Capacity.of(pool(limit, allowApplyConcurrent), 0, plans, applies);

        assertThat(capacity).isEqualTo(new Capacity(freePlanSlots, canTakeApply));
        assertThat(capacity.isEmpty()).isEqualTo(freePlanSlots == 0 && !canTakeApply);
        assertThat(capacity.admits(TaskAction.PLAN)).isEqualTo(freePlanSlots > 0);
        assertThat(capacity.admits(TaskAction.PLAN_APPLY)).isEqualTo(canTakeApply);
    }

    @ParameterizedTest(name = "local limit {0} with {1} plans running -> {2} slots")
    @CsvSource({"1, 0, 1", "1, 1, 0", "2, 1, 1"})
    void localLimitCapsFreeSlots(int localLimit, int plans, int freePlanSlots) {
        assertThat(Capacity.of(pool(4, false), localLimit, plans, 0).freePlanSlots())
                .isEqualTo(freePlanSlots);
    }

    private static PoolConfig pool(int maxPlanConcurrency, boolean allowApplyConcurrent) {
        return new PoolConfig("default", maxPlanConcurrency, allowApplyConcurrent, Map.of());
    }
}
