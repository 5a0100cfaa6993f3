package io.iacrunner.server.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.TaskAction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fair claim's choice as a table: who gets the next slots, given what runs and what is queued. */
class FairShareTest {
    static FairShare.Candidate plan(String id, String org, String ws, long seq) {
        return new FairShare.Candidate(id, TaskAction.PLAN, ws, org, seq);
    }

    static List<String> order(
            List<FairShare.Candidate> candidates,
            Map<String, FairShare.OrgLoad> orgs,
            Map<String, FairShare.WorkspaceLoad> workspaces) {
        return FairShare.order(candidates, orgs, workspaces).stream()
                .map(FairShare.Candidate::taskId)
                .toList();
    }

    @Test
    void theOrganisationFurthestBelowItsShareGoesFirstWhateverTheAgeOfTheOthersTasks() {
        var candidates = List.of(plan("a1", "a", "a/x", 1), plan("a2", "a", "a/x", 2), plan("b1", "b", "b/y", 900));
        var loads = Map.of(
                "a", new FairShare.OrgLoad(1, 9, 9, null),
                "b", new FairShare.OrgLoad(1, 0, 0, null));
        assertThat(order(candidates, loads, Map.of())).containsExactly("b1", "a1", "a2");
    }

    @Test
    void equalSharesGoToTheOldestAndWeightsScaleTheShare() {
        var candidates = List.of(plan("a1", "a", "a/x", 5), plan("b1", "b", "b/y", 3), plan("b2", "b", "b/y", 4));
        var equal = Map.of(
                "a", new FairShare.OrgLoad(1, 2, 2, null),
                "b", new FairShare.OrgLoad(1, 2, 2, null));
        assertThat(order(candidates, equal, Map.of())).containsExactly("b1", "a1", "b2");
        // b weighs 3: with 4 running its share is 1.33, below a's 2.
        var weighted = Map.of(
                "a", new FairShare.OrgLoad(1, 2, 2, null),
                "b", new FairShare.OrgLoad(3, 4, 4, null));
        assertThat(order(candidates, weighted, Map.of())).containsExactly("b1", "b2", "a1");
    }

    @Test
    void anOrganisationAtItsRunningQuotaAndAWorkspaceAtItsPlanQuotaGetNothingMore() {
        var candidates = List.of(
                plan("a1", "a", "a/x", 1),
                plan("b1", "b", "b/full", 2),
                plan("b2", "b", "b/free", 3),
                plan("b3", "b", "b/full", 4));
        var orgs = Map.of(
                "a", new FairShare.OrgLoad(1, 0, 5, 5),
                "b", new FairShare.OrgLoad(1, 0, 0, null));
        var workspaces = Map.of("b/full", new FairShare.WorkspaceLoad(1, 1, 1, 1));
        assertThat(order(candidates, orgs, workspaces)).containsExactly("b2");
    }

    @Test
    void insideAnOrganisationTheLeastBusyWorkspaceGoesFirstThenAge() {
        var candidates = List.of(plan("x1", "a", "a/x", 1), plan("x2", "a", "a/x", 2), plan("y1", "a", "a/y", 3));
        var workspaces = Map.of(
                "a/x", new FairShare.WorkspaceLoad(1, 3, 3, null),
                "a/y", new FairShare.WorkspaceLoad(1, 0, 0, null));
        assertThat(order(candidates, Map.of(), workspaces)).containsExactly("y1", "x1", "x2");
    }
}
