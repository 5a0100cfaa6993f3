package io.iacrunner.server.orgs;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.OrgList;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WorkspaceList;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.ExternalServices;
import io.iacrunner.server.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/**
 * A store of before organisations (schema V51, with a pool, a workspace, its task, log and state) upgrades in place:
 * everything is found under {@code default}, and the requests of before (no {@code ?org=}, as the CLI of before
 * sends them) still find it.
 */
class OrgUpgradeTest {
    static final String STATE = """
            {"version":4,"terraform_version":"1.11.0","serial":3,"lineage":"lin-legacy","outputs":{},"resources":[]}""";

    @Test
    void aStoreOfBeforeOrganisationsIsFoundUnderDefaultByTheRequestsOfBefore() {
        try (ExternalServices.FreshDatabase db = ExternalServices.postgres()) {
            String password = db.password() == null ? "" : db.password();
            Flyway.configure()
                    .dataSource(db.url(), db.user(), password)
                    .locations("classpath:db/migration")
                    .target("51")
                    .load()
                    .migrate();
            Jdbi jdbi = Jdbi.create(db.url(), db.user(), password);
            jdbi.useHandle(h -> {
                h.execute("insert into pools (pool_id, labels) values ('legacy-pool', '{\"zone\": \"a\"}')");
                h.execute("insert into workspaces (workspace_id) values ('legacy-ws')");
                h.execute("""
                        insert into tasks (task_id, workspace_id, action, status, tf_json, attempt, finished_at)
                        values ('t-legacy0000000001', 'legacy-ws', 'plan', 'succeeded', '{}', 1, now())""");
                h.execute("""
                        insert into log_chunks (task_id, attempt, first_seq, line_count, lines)
                        values ('t-legacy0000000001', 1, 0, 1, '[[1700000000000,"o","hello from before"]]')""");
                h.createUpdate("""
                                insert into state_versions (workspace_id, version, serial, lineage, sha256, state)
                                values ('legacy-ws', 1, 3, 'lin-legacy', encode(sha256(convert_to(:s, 'UTF8')), 'hex'), :s)""").bind("s", STATE).execute();
                h.execute("update workspaces set current_state_version = 1 where workspace_id = 'legacy-ws'");
            });

            try (TestServer server = TestServer.start(db::configure)) {
                List<String> orgs = jdbi.withHandle(
                        h -> h.createQuery("select distinct org_id from (select org_id from workspaces union all"
                                        + " select org_id from tasks union all select org_id from pools) o")
                                .mapTo(String.class)
                                .list());
                assertThat(orgs).containsExactly("default");
                assertThat(server.admin().get(ApiPaths.ORGS, OrgList.class).orgs())
                        .extracting(o -> o.orgId())
                        .containsExactly("default");

                WorkspaceView ws =
                        server.admin().get(ApiPaths.fill(ApiPaths.WORKSPACE, "legacy-ws"), WorkspaceView.class);
                assertThat(ws.org()).isEqualTo("default");
                assertThat(ws.name()).isEqualTo("legacy-ws");
                assertThat(ws.currentStateVersion()).isEqualTo(1);
                assertThat(server.admin()
                                .get(ApiPaths.WORKSPACES, WorkspaceList.class)
                                .workspaces())
                        .extracting(w -> w.workspaceId())
                        .contains("legacy-ws");
                assertThat(server.admin()
                                .get(ApiPaths.TASKS + "?workspace=legacy-ws", TaskList.class)
                                .tasks())
                        .extracting(TaskView::taskId)
                        .containsExactly("t-legacy0000000001");
                assertThat(server.admin().getText(ApiPaths.fill(ApiPaths.TASK_LOG_TEXT, "t-legacy0000000001")))
                        .contains("hello from before");
                assertThat(server.admin().getText(ApiPaths.fill(ApiPaths.WORKSPACE_STATE, "legacy-ws")))
                        .contains("lin-legacy");
                // The pool of before serves the workspaces of default, as every pool served every workspace.
                TaskView queued = server.admin()
                        .post(
                                ApiPaths.TASKS,
                                Map.of(
                                        "workspace_id",
                                        "legacy-ws",
                                        "action",
                                        "plan",
                                        "tf_json",
                                        Map.of("resource", Map.of("terraform_data", Map.of("x", Map.of()))),
                                        "labels",
                                        Map.of("zone", "a")),
                                TaskView.class);
                assertThat(queued.workspaceId()).isEqualTo("legacy-ws");
                List<String> granted = jdbi.withHandle(
                        h -> h.createQuery("select pool_id from pool_grants where org_id = 'default' order by pool_id")
                                .mapTo(String.class)
                                .list());
                assertThat(granted).isEqualTo(List.of("default-pool", "legacy-pool"));
            }
        }
    }
}
