package io.iacrunner.protocol;

import java.util.List;

/** Where a pool's agents may run tasks ({@code GET /pools/{pool_id}/grants}), by organisation, then workspace. */
public record PoolGrantList(String poolId, List<Grant> grants) {
    /** Every workspace of {@code org} ({@code workspace} null), or the one named. */
    public record Grant(String org, String workspace) {}
}
