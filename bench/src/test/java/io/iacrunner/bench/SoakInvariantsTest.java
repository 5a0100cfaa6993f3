package io.iacrunner.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.bench.SoakInvariants.Apply;
import io.iacrunner.bench.SoakInvariants.Claim;
import io.iacrunner.bench.SoakInvariants.Log;
import io.iacrunner.bench.SoakInvariants.Running;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakInvariantsTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void anAttemptInTwoClaimsIsClaimedTwiceButANewAttemptIsNot() {
        assertThat(SoakInvariants.claimedTwice(List.of(
                        new Claim("a", 1, "sim-1"),
                        new Claim("a", 2, "real-0"),
                        new Claim("b", 1, "sim-2"),
                        new Claim("b", 1, "real-1"),
                        new Claim("c", 1, "sim-3"))))
                .containsExactly("b");
    }

    @Test
    void appliesOfOneWorkspaceMayFollowButNotOverlap() {
        List<Apply> applies = List.of(
                new Apply("w1", "first", T, T.plusSeconds(10)),
                new Apply("w1", "next", T.plusSeconds(10), T.plusSeconds(20)),
                new Apply("w2", "other", T.plusSeconds(5), T.plusSeconds(15)));
        assertThat(SoakInvariants.overlappingApplies(applies)).isEmpty();

        assertThat(SoakInvariants.overlappingApplies(List.of(
                        new Apply("w1", "long", T, T.plusSeconds(60)),
                        new Apply("w1", "short", T.plusSeconds(1), T.plusSeconds(2)),
                        // starts after "short" ended but while "long" still runs
                        new Apply("w1", "inside", T.plusSeconds(30), T.plusSeconds(31)))))
                .containsExactly("inside", "long", "short");
    }

    @Test
    void anApplyStillRunningOverlapsEveryLaterOne() {
        assertThat(SoakInvariants.overlappingApplies(
                        List.of(new Apply("w", "running", T, null), new Apply("w", "later", T.plusSeconds(600), null))))
                .containsExactly("later", "running");
    }

    @Test
    void aTaskIsStuckOnlyPastTheLeaseAndSlackAndAnApplyPastTheLostApplyWindowToo() {
        Duration lease = Duration.ofSeconds(20);
        Duration window = Duration.ofSeconds(60);
        Duration slack = Duration.ofSeconds(30);
        assertThat(SoakInvariants.stuckPastLease(
                        List.of(
                                new Running("plan-ok", false, Duration.ofSeconds(50)),
                                new Running("plan-stuck", false, Duration.ofSeconds(51)),
                                new Running("apply-ok", true, Duration.ofSeconds(110)),
                                new Running("apply-stuck", true, Duration.ofSeconds(111))),
                        lease,
                        window,
                        slack))
                .containsExactly("plan-stuck", "apply-stuck");
    }

    @Test
    void aLogMustBeEverySeqOnceInOrderAsManyAsTheStoreCounted() {
        assertThat(SoakInvariants.logProblem(new Log("t", 3, true, true, new long[] {0, 1, 2})))
                .isNull();
        assertThat(SoakInvariants.logProblem(new Log("t", 0, false, false, new long[] {})))
                .isNull();
        assertThat(SoakInvariants.logProblem(new Log("t", 3, true, true, new long[] {0, 2, 3})))
                .startsWith("gap at position 1");
        assertThat(SoakInvariants.logProblem(new Log("t", 3, true, true, new long[] {0, 1, 1, 2})))
                .startsWith("duplicate or out of order at position 2");
        assertThat(SoakInvariants.logProblem(new Log("t", 4, true, true, new long[] {0, 1, 2})))
                .contains("returned 3 lines, the store counted 4");
        assertThat(SoakInvariants.logProblem(new Log("t", 3, false, true, new long[] {0, 1, 2})))
                .isEqualTo("succeeded with its log marked incomplete");
        assertThat(SoakInvariants.logProblem(new Log("t", 3, false, false, new long[] {0, 1, 2})))
                .isNull();
    }
}
