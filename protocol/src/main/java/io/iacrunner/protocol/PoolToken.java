package io.iacrunner.protocol;

/** A token that can only register agents into its pool. */
public record PoolToken(String poolId, String token) {}
