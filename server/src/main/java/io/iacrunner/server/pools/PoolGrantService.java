package io.iacrunner.server.pools;

import io.iacrunner.protocol.PoolGrantList;
import io.iacrunner.protocol.PoolGrants;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.util.Ids;
import io.iacrunner.server.util.OrgNames;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Which workspaces a pool's agents may run tasks of. A pool serves every workspace of its own organisation until
 * told otherwise, and of each organisation the site admin shared it with; that organisation's owner may narrow it
 * to chosen workspaces (or widen it back). A change that would leave a workspace naming a pool it may no longer use,
 * or a queued task that no pool could ever run, is refused whole: nothing waits forever because of it.
 */
public final class PoolGrantService {
    /** More than any organisation lists by hand; bounds the request's work. */
    static final int MAX_WORKSPACES = 1000;

    private final Jdbi jdbi;
    private final PoolStore store;

    public PoolGrantService(Jdbi jdbi, PoolStore store) {
        this.jdbi = jdbi;
        this.store = store;
    }

    public PoolGrantList list(String poolId) {
        return jdbi.withHandle(h -> {
            requirePool(h, poolId);
            return new PoolGrantList(poolId, store.grants(h, poolId));
        });
    }

    /**
     * Sets what pool {@code poolId} serves in organisation {@code org} (the caller owns {@code org}, checked by the
     * route): every workspace, or those {@code request} names.
     */
    public PoolGrantList replace(String poolId, String org, PoolGrants request) {
        List<String> keys = request.workspaces() == null ? null : keys(org, request.workspaces());
        return jdbi.inTransaction(h -> {
            requirePool(h, poolId);
            // The same answer for a pool not shared with the organisation as for one that does not exist.
            if (!store.grantedTo(h, poolId, org))
                throw ApiProblem.notFound("pool_not_found", "no pool '" + poolId + "' granted to organisation " + org);
            if (keys != null) {
                List<String> missing = store.missingWorkspaces(h, keys);
                if (!missing.isEmpty())
                    throw ApiProblem.notFound("workspace_not_found", "no workspace " + String.join(", ", missing));
            }
            store.replaceGrants(h, poolId, org, keys);
            List<String> naming = store.namingWithoutGrant(h, poolId, org);
            if (!naming.isEmpty())
                throw ApiProblem.conflict(
                        "pool_named_by_workspace",
                        "workspace " + String.join(", ", naming) + " names pool " + poolId
                                + " as its own: include it, or give it another pool first (./iac workspace set --pool)");
            List<String> stranded = store.stranded(h, org);
            if (!stranded.isEmpty())
                throw ApiProblem.conflict(
                        "tasks_would_strand",
                        "queued tasks of workspace " + String.join(", ", stranded)
                                + " could then run on no pool: include the workspace, or let those tasks start"
                                + " (or cancel them) first");
            return new PoolGrantList(poolId, store.grants(h, poolId));
        });
    }

    private void requirePool(org.jdbi.v3.core.Handle h, String poolId) {
        if (store.find(h, poolId).isEmpty()) throw ApiProblem.notFound("pool_not_found", "no pool '" + poolId + "'");
    }

    private static List<String> keys(String org, List<String> names) {
        if (names.isEmpty())
            throw ApiProblem.badRequest(
                    "invalid_workspaces",
                    "workspaces must name at least one workspace, or be left out (null) for every workspace");
        if (names.size() > MAX_WORKSPACES)
            throw ApiProblem.badRequest("invalid_workspaces", "at most " + MAX_WORKSPACES + " workspaces");
        return names.stream()
                .map(n -> {
                    if (n == null) throw ApiProblem.badRequest("invalid_workspaces", "a workspace name is null");
                    return OrgNames.qualify(org, Ids.requireWorkspaceName(n));
                })
                .distinct()
                .toList();
    }
}
