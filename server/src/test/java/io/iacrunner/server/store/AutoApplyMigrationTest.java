package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.testing.ExternalServices;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * Plan review's migration (V20): workspaces that existed before keep applying at once, as their users expect; a
 * workspace inserted afterwards without naming the setting waits for confirmation.
 */
class AutoApplyMigrationTest {
    @Test
    void workspacesFromBeforePlanReviewKeepAutoApplyAndNewOnesDefaultToOff() {
        try (ExternalServices.FreshDatabase db = ExternalServices.postgres()) {
            Flyway.configure()
                    .dataSource(db.url(), db.user(), db.password() == null ? "" : db.password())
                    .locations("classpath:db/migration")
                    .target("11")
                    .load()
                    .migrate();
            Jdbi jdbi = Jdbi.create(db.url(), db.user(), db.password() == null ? "" : db.password());
            jdbi.useHandle(h -> h.execute("insert into workspaces (workspace_id) values ('from-before')"));

            Flyway.configure()
                    .dataSource(db.url(), db.user(), db.password() == null ? "" : db.password())
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            jdbi.useHandle(h -> h.execute("insert into workspaces (workspace_id) values ('made-after')"));

            java.util.List<String> settings = jdbi.withHandle(
                    h -> h.createQuery("select workspace_id, auto_apply from workspaces order by workspace_id")
                            .map((rs, ctx) -> rs.getString(1) + "=" + rs.getBoolean(2))
                            .list());
            assertThat(settings).containsExactly("from-before=true", "made-after=false");
        }
    }
}
