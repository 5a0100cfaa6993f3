package io.iacrunner.server.util;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * The time by which the store records and judges what leases, timeouts and retention depend on ({@code last_seen},
 * {@code started_at}, {@code finished_at}, {@code agent_lost_at}). SQL that records or judges such a time writes
 * {@code <now>} for it and passes through {@link #at}.
 *
 * <p>In production it is the database's own clock ({@link #DATABASE}: {@code :now} is null and the SQL takes
 * {@code clock_timestamp()}), so every replica judges by one clock, whatever their own clocks or GC pauses do, at no
 * extra round trip. A test passes a clock it steps by hand ({@link #of}), so a lease runs out when the test says,
 * not after a wait.
 */
@FunctionalInterface
public interface StoreClock {
    /** The SQL expression {@code <now>} stands for: the bound {@code :now}, else the database's clock. */
    String NOW = "coalesce(cast(:now as timestamptz), clock_timestamp())";

    /** The database's clock. */
    StoreClock DATABASE = () -> null;

    /** What to bind as {@code :now}; null for the database's clock. */
    OffsetDateTime sqlNow();

    /** {@code statement} with {@code <now>} meaning this clock's now. */
    default <S extends SqlStatement<S>> S at(S statement) {
        return statement.define("now", NOW).bindByType("now", sqlNow(), OffsetDateTime.class);
    }

    /** A clock of the test's own (a settable one, say). */
    static StoreClock of(Clock clock) {
        return () -> OffsetDateTime.ofInstant(Instant.now(clock), ZoneOffset.UTC);
    }
}
