package io.iacrunner.protocol;

/** A token that can only register agents into its pool; {@code tokenId} names it for listing and revoking. */
public record PoolToken(String poolId, String token, String tokenId) {}
