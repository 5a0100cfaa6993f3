package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.Signals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The wake-n rule, signals given by hand and looks stepped by hand: no thread waits in these tests. */
class PullWakesTest {
    private final Set<String> queued = new HashSet<>();
    private final Signals<String> signals = new Signals<>();
    private final PullWakes wakes = new PullWakes(signals, new PullWakes.Queue() {
        @Override
        public boolean isQueued(String taskId) {
            return queued.contains(taskId);
        }

        @Override
        public boolean anyQueued() {
            return !queued.isEmpty();
        }
    });

    /** {@code n} pulls that each looked once, found nothing and now wait, the first the longest. */
    private List<PullWakes.Waiter> idle(int n) {
        List<PullWakes.Waiter> waiters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PullWakes.Waiter w = wakes.waiter("a-" + i);
            w.look();
            w.settle(List.of());
            waiters.add(w);
        }
        return waiters;
    }

    private static boolean woken(PullWakes.Waiter w) throws InterruptedException {
        return w.await(Duration.ZERO);
    }

    private static List<Integer> wokenOnes(List<PullWakes.Waiter> waiters) throws InterruptedException {
        List<Integer> woken = new ArrayList<>();
        for (int i = 0; i < waiters.size(); i++) if (woken(waiters.get(i))) woken.add(i);
        return woken;
    }

    private String queue() {
        String task = Ids.task();
        queued.add(task);
        signals.signal(task);
        return task;
    }

    @Test
    void aQueuedTaskWakesOnePullTheOneThatWaitedLongest() throws Exception {
        List<PullWakes.Waiter> waiters = idle(50);
        queue();
        assertThat(wokenOnes(waiters)).containsExactly(0);
    }

    @Test
    void twoTasksWakeTwoPulls() throws Exception {
        List<PullWakes.Waiter> waiters = idle(10);
        queue();
        queue();
        assertThat(wokenOnes(waiters)).containsExactly(0, 1);
    }

    @Test
    void aPullThatClaimsItsTaskUsesTheWakeUp() throws Exception {
        List<PullWakes.Waiter> waiters = idle(5);
        String task = queue();
        PullWakes.Waiter first = waiters.getFirst();
        first.look();
        queued.remove(task); // claimed
        first.settle(List.of(task));
        first.close();
        assertThat(wokenOnes(waiters.subList(1, 5))).isEmpty();
    }

    @Test
    void aWakeRefusedGoesToTheNextPullUntilEveryOneHasLookedThenStops() throws Exception {
        List<PullWakes.Waiter> waiters = idle(4);
        queue(); // none of the agents may run it (labels, say): each looks once, and only once
        for (int i = 0; i < 4; i++) {
            assertThat(wokenOnes(waiters)).as("look %d", i).containsExactly(i);
            waiters.get(i).look();
            waiters.get(i).settle(List.of());
        }
        assertThat(wokenOnes(waiters)).isEmpty();
    }

    @Test
    void aPullThatClaimedAnotherTaskPassesTheWakeOn() throws Exception {
        List<PullWakes.Waiter> waiters = idle(3);
        String older = Ids.task();
        queued.add(older); // its own wake went to a pull that has left
        String task = queue();
        PullWakes.Waiter first = waiters.getFirst();
        first.look();
        queued.remove(older);
        first.settle(List.of(older));
        first.close();
        assertThat(queued).contains(task);
        assertThat(wokenOnes(waiters.subList(1, 3))).containsExactly(0);
    }

    @Test
    void aWakeForATaskNoLongerQueuedIsNotPassedOn() throws Exception {
        List<PullWakes.Waiter> waiters = idle(3);
        String task = queue();
        queued.remove(task); // claimed by a pull of another replica, or canceled
        waiters.getFirst().look();
        waiters.getFirst().settle(List.of());
        assertThat(wokenOnes(waiters)).isEmpty();
    }

    @Test
    void aPullThatLeavesWithoutLookingPassesItsWakeOn() throws Exception {
        List<PullWakes.Waiter> waiters = idle(3);
        queue();
        waiters.getFirst().close(); // its wait ran out, or its agent hung up
        assertThat(wokenOnes(waiters.subList(1, 3))).containsExactly(0);
    }

    @Test
    void aWakeDuringALookWakesThatPullAgainSinceItsLookMayHaveMissedTheTask() throws Exception {
        List<PullWakes.Waiter> waiters = idle(1);
        PullWakes.Waiter only = waiters.getFirst();
        only.look();
        queue(); // committed after the look read the store
        only.settle(List.of());
        assertThat(woken(only)).isTrue();
    }

    @Test
    void aCancelOrderWakesItsAgentsPullAtOnceAndNoOther() throws Exception {
        List<PullWakes.Waiter> waiters = idle(5);
        signals.signal(PullWakes.cancelKey("a-3"));
        assertThat(wokenOnes(waiters)).containsExactly(3);
    }

    @Test
    void aCancelOrderDoesNotTakeTheTaskWakeOfThatPull() throws Exception {
        List<PullWakes.Waiter> waiters = idle(2);
        signals.signal(PullWakes.cancelKey("a-1"));
        queue();
        assertThat(wokenOnes(waiters)).containsExactly(0, 1);
    }

    @Test
    void aQueueWakeGoesOnWhileNothingIsClaimedAndSomethingIsQueued() throws Exception {
        List<PullWakes.Waiter> waiters = idle(3);
        queued.add(Ids.task()); // an apply whose workspace lock was just released
        signals.signal(TaskService.QUEUE);
        waiters.get(0).look();
        waiters.get(0).settle(List.of());
        assertThat(wokenOnes(waiters)).containsExactly(1);
        queued.clear(); // the next pull claims it
        waiters.get(1).look();
        waiters.get(1).settle(List.of());
        assertThat(wokenOnes(waiters)).isEmpty();
    }

    @Test
    void aSignalFromAnotherReplicaWakesOnePullHere() throws Exception {
        List<PullWakes.Waiter> waiters = idle(4);
        String task = Ids.task();
        queued.add(task);
        signals.signalLocally(task);
        assertThat(wokenOnes(waiters)).containsExactly(0);
    }

    @Test
    void everyPullLooksAgainWhenSignalsMayHaveBeenLost() throws Exception {
        List<PullWakes.Waiter> waiters = idle(3);
        signals.signalAllLocally();
        assertThat(wokenOnes(waiters)).containsExactly(0, 1, 2);
    }

    @Test
    void moreTasksThanPullsGiveTheExtraWakesToPullsAlreadyWoken() throws Exception {
        List<PullWakes.Waiter> waiters = idle(2);
        String a = queue();
        String b = queue();
        String c = queue();
        PullWakes.Waiter first = waiters.getFirst();
        first.look();
        queued.remove(a);
        first.settle(List.of(a)); // it had room for one; c's wake, held with a's, goes on
        first.close();
        PullWakes.Waiter second = waiters.get(1);
        assertThat(woken(second)).isTrue();
        second.look();
        queued.remove(b);
        second.settle(List.of(b));
        assertThat(queued).containsExactly(c);
        // It answers with b; its agent's next pull looks at once, and no other pull here could have been given c.
        assertThat(woken(second)).isFalse();
    }
}
