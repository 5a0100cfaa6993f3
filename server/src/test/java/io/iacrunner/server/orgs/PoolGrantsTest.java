package io.iacrunner.server.orgs;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.AuditEventList;
import io.iacrunner.protocol.AuditEventView;
import io.iacrunner.protocol.NameRequest;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolGrantList;
import io.iacrunner.protocol.PoolGrants;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WhoAmI;
import io.iacrunner.protocol.WorkspaceSettings;
import io.iacrunner.protocol.WorkspaceView;
import io.iacrunner.server.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pool serves all or chosen workspaces of an organisation; its owner chooses, the change is audited where that
 * organisation's owner can read it, and a change that would strand a workspace or a queued task is refused whole.
 */
class PoolGrantsTest {
    static TestServer server;
    static OrgFixture a;
    static OrgFixture b;

    @BeforeAll
    static void start() {
        server = OrgFixture.startServer();
        a = OrgFixture.create(server, "gr-a", null, null);
        b = OrgFixture.create(server, "gr-b", null, null);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static void workspace(OrgFixture org, String name) {
        org.owner()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, name) + org.q(),
                        new WorkspaceSettings(null),
                        WorkspaceView.class);
    }

    static PoolGrantList grant(OrgFixture caller, String poolPath, String org, List<String> workspaces) {
        return caller.owner().put(poolPath, new PoolGrants(org, workspaces), PoolGrantList.class);
    }

    static ApiException refusal(Runnable call) {
        return OrgIsolationTest.catchApi(call);
    }

    @Test
    void aPoolGrantedToChosenWorkspacesRunsOnlyTheirTasksAndTheOthersAreRefusedAtCreation() {
        // The label only this pool has keeps the other pools of the organisation (other tests') out of it.
        Map<String, String> narrow = Map.of("pool", "narrow");
        String token = a.pool("narrow", 3, narrow);
        workspace(a, "one");
        workspace(a, "two");
        String path = ApiPaths.fill(ApiPaths.POOL_GRANTS, "narrow") + a.q();
        PoolGrantList granted = grant(a, path, null, List.of("one"));
        assertThat(granted.grants()).containsExactly(new PoolGrantList.Grant("gr-a", "gr-a/one"));
        assertThat(a.owner().get(path, PoolGrantList.class)).isEqualTo(granted);

        ApiException refused = refusal(() -> a.queue("two", TaskAction.PLAN, narrow));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("no_pool_can_run");
        TaskView one = a.queue("one", TaskAction.PLAN, narrow);
        var agent = server.registerAgent("narrow-agent", token);
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 3, false, 0), PullResponse.class);
        assertThat(pulled.tasks()).extracting(TaskAssignment::taskId).containsExactly(one.taskId());

        assertThat(server.metrics().value("iac_queue_depth{pool=\"gr-a/narrow\"}"))
                .as("queued tasks only of the workspaces it serves: none of two (refused), one's claimed")
                .isZero();

        // Widened back to every workspace, the other one's tasks are accepted again.
        assertThat(grant(a, path, null, null).grants()).containsExactly(new PoolGrantList.Grant("gr-a", null));
        assertThat(a.queue("two", TaskAction.PLAN, Map.of()).status().wireName())
                .isEqualTo("queued");
    }

    @Test
    void aChangeThatWouldStrandAWorkspaceOrAQueuedTaskIsRefusedAndChangesNothing() {
        a.pool("guarded", 3, Map.of("only", "guarded"));
        workspace(a, "named");
        workspace(a, "busy");
        workspace(a, "idle");
        a.owner()
                .put(
                        ApiPaths.fill(ApiPaths.WORKSPACE, "named") + a.q(),
                        new WorkspaceSettings(null, null, null, "guarded", null),
                        WorkspaceView.class);
        // Only this pool has the label, so a queued task naming it can run nowhere else.
        a.queue("busy", TaskAction.PLAN, Map.of("only", "guarded"));
        String path = ApiPaths.fill(ApiPaths.POOL_GRANTS, "guarded") + a.q();
        PoolGrantList before = a.owner().get(path, PoolGrantList.class);

        ApiException named = refusal(() -> grant(a, path, null, List.of("busy", "idle")));
        assertThat(named.status()).isEqualTo(409);
        assertThat(named.code()).isEqualTo("pool_named_by_workspace");
        assertThat(named.getMessage()).contains("gr-a/named");
        ApiException stranded = refusal(() -> grant(a, path, null, List.of("named", "idle")));
        assertThat(stranded.status()).isEqualTo(409);
        assertThat(stranded.code()).isEqualTo("tasks_would_strand");
        assertThat(stranded.getMessage()).contains("gr-a/busy");
        ApiException empty = refusal(() -> grant(a, path, null, List.of()));
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.code()).isEqualTo("invalid_workspaces");
        ApiException unknown = refusal(() -> grant(a, path, null, List.of("named", "busy", "nope")));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.code()).isEqualTo("workspace_not_found");
        ApiException badName = refusal(() -> grant(a, path, null, List.of("../x")));
        assertThat(badName.status()).isEqualTo(400);

        assertThat(a.owner().get(path, PoolGrantList.class)).isEqualTo(before);
        // Including both, the change is allowed.
        assertThat(grant(a, path, null, List.of("named", "busy")).grants()).hasSize(2);
    }

    @Test
    void aSharedPoolIsNarrowedByTheOwnerOfTheOrganisationItServesAndNobodyElse() {
        server.admin()
                .put(
                        ApiPaths.fill(ApiPaths.POOL, "gr-shared"),
                        new PoolConfig("gr-shared", 2, false, Map.of()),
                        PoolConfig.class);
        server.admin()
                .post(ApiPaths.fill(ApiPaths.POOL_SHARES, "gr-shared"), new NameRequest("gr-b"), NameRequest.class);
        workspace(b, "chosen");
        String path = ApiPaths.fill(ApiPaths.POOL_GRANTS, "gr-shared") + "?org=default";

        PoolGrantList result = grant(b, path, "gr-b", List.of("chosen"));
        assertThat(result.grants())
                .containsExactly(
                        new PoolGrantList.Grant("default", null), new PoolGrantList.Grant("gr-b", "gr-b/chosen"));
        // Not shared with gr-a: the same answer as a pool that does not exist.
        workspace(a, "chosen");
        ApiException notShared = refusal(() -> grant(a, path, "gr-a", List.of("chosen")));
        ApiException missing = refusal(() ->
                grant(a, ApiPaths.fill(ApiPaths.POOL_GRANTS, "nope") + "?org=default", "gr-a", List.of("chosen")));
        assertThat(notShared.status()).isEqualTo(missing.status()).isEqualTo(404);
        assertThat(notShared.code()).isEqualTo(missing.code()).isEqualTo("pool_not_found");
        // gr-a's owner may not choose for gr-b, nor read the pool's grants in default.
        assertThat(refusal(() -> grant(a, path, "gr-b", List.of("chosen"))).status())
                .isEqualTo(404);
        assertThat(refusal(() -> a.owner().get(path, PoolGrantList.class)).status())
                .isIn(403, 404);
    }

    @Test
    void ownersReadTheirOrganisationsAuditLogWithEveryGrantAndNothingOfAnotherOrganisation() {
        a.pool("audited", 1, Map.of());
        workspace(a, "watched");
        grant(a, ApiPaths.fill(ApiPaths.POOL_GRANTS, "audited") + a.q(), null, List.of("watched"));

        List<AuditEventView> events = a.owner()
                .get(ApiPaths.AUDIT_EVENTS + "?limit=1000&org=gr-a", AuditEventList.class)
                .events();
        assertThat(events).allSatisfy(e -> assertThat(e.org()).isEqualTo("gr-a"));
        assertThat(events).anySatisfy(e -> {
            assertThat(e.kind()).isEqualTo("pool_granted");
            assertThat(e.subject()).isEqualTo("gr-a/audited");
            assertThat(e.detail()).contains("watched");
        });
        // Another organisation's log: as if it did not exist; the whole log: the site admin's alone.
        assertThat(refusal(() -> b.owner().get(ApiPaths.AUDIT_EVENTS + "?org=gr-a", AuditEventList.class))
                        .code())
                .isEqualTo("org_not_found");
        assertThat(refusal(() -> a.owner().get(ApiPaths.AUDIT_EVENTS, AuditEventList.class))
                        .status())
                .isEqualTo(403);
        assertThat(server.admin()
                        .get(ApiPaths.AUDIT_EVENTS + "?limit=1000", AuditEventList.class)
                        .events())
                .extracting(AuditEventView::org)
                .contains("gr-a", "gr-b");
    }

    @Test
    void aWorkspacesWeightIsSetValidatedAndShownAndWhoamiNamesTheOwnersOrganisation() {
        workspace(a, "heavy");
        String path = ApiPaths.fill(ApiPaths.WORKSPACE, "heavy") + a.q();
        assertThat(a.owner().get(path, WorkspaceView.class).weight()).isEqualTo(1);
        WorkspaceView set =
                a.owner().put(path, new WorkspaceSettings(null, null, null, null, null, 7), WorkspaceView.class);
        assertThat(set.weight()).isEqualTo(7);
        for (int bad : new int[] {0, 1001}) {
            ApiException refused = refusal(() ->
                    a.owner().put(path, new WorkspaceSettings(null, null, null, null, null, bad), WorkspaceView.class));
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.code()).isEqualTo("invalid_weight");
        }
        assertThat(a.owner().get(path, WorkspaceView.class).weight()).isEqualTo(7);

        WhoAmI owner = a.owner().get(ApiPaths.WHOAMI, WhoAmI.class);
        assertThat(owner.ownerOf()).containsExactly("gr-a");
        assertThat(owner.orgs()).containsExactly("gr-a");
        assertThat(owner.orgRoles()).containsEntry("gr-a", Role.ADMIN);
    }
}
