package io.iacrunner.agent.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TaskProcessesTest {
    @Test
    void theLargestTaskIsItsWholeProcessTreeAndNothingOnceItHasExited() throws Exception {
        TaskProcesses processes = new TaskProcesses();
        assertThat(processes.largest()).as("no task runs").isZero();
        // A shell that waits for a child of its own: the tree of two processes is one task.
        Process task = new ProcessBuilder("sh", "-c", "sleep 60 & wait").start();
        try {
            processes.started(task);
            ProcessHandle child = await().atMost(Duration.ofSeconds(10))
                    .until(() -> task.toHandle().children().findFirst().orElse(null), c -> c != null);
            long tree = TaskProcesses.resident(task.toHandle()) + TaskProcesses.resident(child);
            assertThat(TaskProcesses.resident(child))
                    .as("the child's own memory")
                    .isPositive();
            assertThat(processes.largest()).as("the shell and its child").isEqualTo(tree);
        } finally {
            task.descendants().forEach(ProcessHandle::destroyForcibly);
            task.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> processes.largest() == 0);
    }
}
