package io.iacrunner.server.tasks;

import io.iacrunner.protocol.TaskAction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fair claim's choice, as a pure function of what the claim read: the order in which an agent's free slots go
 * to the queued candidates. Each next slot goes to the organisation whose running share (tasks running on the pool,
 * plus those already picked in this claim, divided by its weight) is the lowest, ties to the one whose oldest
 * candidate is oldest; inside it, to the workspace whose share is the lowest, ties again to the oldest. An
 * organisation at its {@code max_running} and a workspace at its {@code max_plans_running} get nothing more.
 * docs/architecture.md ("Fair scheduling") gives the fairness and starvation argument.
 */
final class FairShare {
    /** A queued task the claim may take: id, action, workspace key, organisation, queue position. */
    record Candidate(String taskId, TaskAction action, String workspaceId, String orgId, long seq) {
        String[] row() {
            return new String[] {taskId, action.wireName(), workspaceId};
        }
    }

    /**
     * What an organisation runs now: on the claiming agent's pool ({@code onPool}, the share's numerator), in all
     * (against its {@code maxRunning} quota, null for none), and its weight.
     */
    record OrgLoad(int weight, int onPool, int running, Integer maxRunning) {}

    /** What a workspace runs now ({@code running}, {@code plans} of them) and its quota and weight. */
    record WorkspaceLoad(int weight, int running, int plans, Integer maxPlansRunning) {}

    private FairShare() {}

    /** {@code candidates} (oldest first within each organisation) in the order slots should go to them. */
    static List<Candidate> order(
            List<Candidate> candidates, Map<String, OrgLoad> orgs, Map<String, WorkspaceLoad> workspaces) {
        Map<String, List<Candidate>> byOrg = new LinkedHashMap<>();
        candidates.stream()
                .sorted(Comparator.comparingLong(Candidate::seq))
                .forEach(c ->
                        byOrg.computeIfAbsent(c.orgId(), k -> new ArrayList<>()).add(c));
        Map<String, Integer> orgTaken = new HashMap<>();
        Map<String, Integer> wsTaken = new HashMap<>();
        Map<String, Integer> wsPlansTaken = new HashMap<>();
        List<Candidate> out = new ArrayList<>();
        while (true) {
            String bestOrg = null;
            double bestShare = Double.MAX_VALUE;
            long bestSeq = Long.MAX_VALUE;
            for (var e : byOrg.entrySet()) {
                if (e.getValue().isEmpty()) continue;
                OrgLoad load = orgs.getOrDefault(e.getKey(), new OrgLoad(1, 0, 0, null));
                int taken = orgTaken.getOrDefault(e.getKey(), 0);
                if (load.maxRunning() != null && load.running() + taken >= load.maxRunning()) continue;
                double share = (load.onPool() + taken) / (double) load.weight();
                long seq = e.getValue().getFirst().seq();
                if (share < bestShare || (share == bestShare && seq < bestSeq)) {
                    bestOrg = e.getKey();
                    bestShare = share;
                    bestSeq = seq;
                }
            }
            if (bestOrg == null) return out;
            List<Candidate> queue = byOrg.get(bestOrg);
            Candidate pick = null;
            double pickShare = Double.MAX_VALUE;
            for (Candidate c : queue) {
                WorkspaceLoad ws = workspaces.getOrDefault(c.workspaceId(), new WorkspaceLoad(1, 0, 0, null));
                if (c.action() == TaskAction.PLAN
                        && ws.maxPlansRunning() != null
                        && ws.plans() + wsPlansTaken.getOrDefault(c.workspaceId(), 0) >= ws.maxPlansRunning()) continue;
                double share = (ws.running() + wsTaken.getOrDefault(c.workspaceId(), 0)) / (double) ws.weight();
                if (share < pickShare) {
                    pick = c;
                    pickShare = share;
                }
            }
            if (pick == null) {
                queue.clear(); // every candidate of this organisation waits for its workspace's plan quota
                continue;
            }
            queue.remove(pick);
            out.add(pick);
            orgTaken.merge(bestOrg, 1, Integer::sum);
            wsTaken.merge(pick.workspaceId(), 1, Integer::sum);
            if (pick.action() == TaskAction.PLAN) wsPlansTaken.merge(pick.workspaceId(), 1, Integer::sum);
        }
    }
}
