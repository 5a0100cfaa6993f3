package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.testing.ExternalServices;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * Each workspace's next plan_apply (V81): a store upgraded with applies already queued names, per workspace, the oldest
 * of them by queue order, whatever their ids, and none where only plans or no longer queued applies are.
 */
class ApplyQueueMigrationTest {
    @Test
    void eachWorkspaceNamesItsOldestQueuedApplyAfterTheUpgrade() {
        try (ExternalServices.FreshDatabase db = ExternalServices.postgres()) {
            String password = db.password() == null ? "" : db.password();
            Flyway.configure()
                    .dataSource(db.url(), db.user(), password)
                    .locations("classpath:db/migration")
                    .target("80")
                    .load()
                    .migrate();
            Jdbi jdbi = Jdbi.create(db.url(), db.user(), password);
            jdbi.useHandle(h -> {
                for (String ws : List.of("ws-queued", "ws-running", "ws-plans", "ws-done"))
                    h.execute("insert into workspaces (workspace_id) values (?)", ws);
                // In queue order (seq): ids that sort the other way round.
                String[][] tasks = {
                    {"t-z-oldest", "ws-queued", "plan_apply", "queued"},
                    {"t-plan-a", "ws-queued", "plan", "queued"},
                    {"t-a-newer", "ws-queued", "plan_apply", "queued"},
                    {"t-running", "ws-running", "plan_apply", "running"},
                    {"t-behind", "ws-running", "plan_apply", "queued"},
                    {"t-plan-b", "ws-plans", "plan", "queued"},
                    {"t-done", "ws-done", "plan_apply", "succeeded"},
                    {"t-canceled", "ws-done", "plan_apply", "canceled"}
                };
                for (String[] t : tasks)
                    h.execute(
                            "insert into tasks (task_id, workspace_id, action, status, tf_json) values (?, ?, ?, ?, '{}')",
                            (Object[]) t);
            });

            Flyway.configure()
                    .dataSource(db.url(), db.user(), password)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();

            List<String> next =
                    jdbi.withHandle(h -> h.createQuery("""
                            select w.workspace_id || '=' || coalesce(w.next_apply_task, '-')
                                || case when w.next_apply_seq is not distinct from t.seq then '' else ' (seq differs)' end
                            from workspaces w left join tasks t on t.task_id = w.next_apply_task
                            order by w.workspace_id""").mapTo(String.class).list());
            assertThat(next).containsExactly("ws-done=-", "ws-plans=-", "ws-queued=t-z-oldest", "ws-running=t-behind");
        }
    }
}
