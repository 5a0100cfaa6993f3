package io.iacrunner.server.auth;

/** Who is calling, as proven by a verified token. */
public sealed interface Principal {
    /** Full rights: queue tasks, read everything, manage pools. */
    record Admin(String subject) implements Principal {}

    /** May only register agents into its pool. */
    record PoolMember(String poolId) implements Principal {}

    /** A registered agent: pings, pulls, and uploads for tasks it holds. */
    record Agent(String agentId, String poolId, java.time.Instant expiresAt) implements Principal {}
}
