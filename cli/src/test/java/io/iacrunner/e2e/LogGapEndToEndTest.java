package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.testing.ExternalServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that loses the last log chunks it acknowledged (restored from an older backup, say) while a real agent
 * ships a real apply's log into it: the server refuses the next batch with {@code 409 log_gap}, the agent asks what
 * the server has and sends the rest again from its spool, and the log ends complete, every line once. On the
 * machine's PostgreSQL, which the test reaches directly to take the chunks away.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LogGapEndToEndTest {
    private static final int LINES = 20_000;

    @TempDir
    Path dir;

    @Test
    void linesTheStoreLostAreSentAgainFromTheSpoolAndTheLogEndsComplete() throws Exception {
        try (ExternalServices.FreshDatabase db = ExternalServices.postgres();
                E2eHarness h = new E2eHarness(dir, c -> db.configure(c).pingInterval(Duration.ofSeconds(1)))) {
            Jdbi store = Jdbi.create(db.url(), db.user(), db.password() == null ? "" : db.password());
            h.startAgent("gap");
            ApiClient admin = h.server.admin();
            String id = Applies.create(admin, "log-gap", Applies.printing("gap-" + System.nanoTime(), LINES, "0.5"));
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> Applies.task(admin, id).logLines() >= LINES / 4);

            Loss loss = loseLastChunks(store, id, 3);
            System.out.println("LogGapEndToEndTest: the store lost lines " + loss.from() + " to " + (loss.had() - 1));

            TaskView done = Applies.awaitEnd(admin, id, Duration.ofSeconds(120));
            assertThat(done.status()).as(done.message()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(loss.had()).as("lines were taken away").isGreaterThan(loss.from());
            Applies.assertExactLog(admin, done, LINES);
        }
    }

    /** The store had {@code had} lines and was set back to {@code from}. */
    private record Loss(long from, long had) {}

    /**
     * Deletes the task's newest {@code chunks} log chunks and sets its count back, as one transaction holding the
     * task row (as the append path does), so the store is consistent, only older.
     */
    private static Loss loseLastChunks(Jdbi store, String taskId, int chunks) {
        return store.inTransaction(h -> {
            long had = h.createQuery("select log_lines from tasks where task_id = :t for update")
                    .bind("t", taskId)
                    .mapTo(Long.class)
                    .one();
            List<Long> newest = h.createQuery(
                            "select first_seq from log_chunks where task_id = :t order by first_seq desc limit :n")
                    .bind("t", taskId)
                    .bind("n", chunks)
                    .mapTo(Long.class)
                    .list();
            long from = newest.getLast();
            h.createUpdate("delete from log_chunks where task_id = :t and first_seq >= :from")
                    .bind("t", taskId)
                    .bind("from", from)
                    .execute();
            h.createUpdate("update tasks set log_lines = :from where task_id = :t")
                    .bind("t", taskId)
                    .bind("from", from)
                    .execute();
            return new Loss(from, had);
        });
    }
}
