package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import org.jdbi.v3.core.ConnectionException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/** Which failures mean "the store cannot be reached" (503), and that an outage is logged once, not per failure. */
class StoreAvailabilityTest {
    @Test
    void connectionLevelFailuresAreUnavailabilityAndFailingStatementsAreNot() {
        Map<Throwable, Boolean> cases = Map.of(
                new PSQLException("An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE),
                        true,
                new PSQLException("Connection refused", PSQLState.CONNECTION_UNABLE_TO_CONNECT), true,
                new SQLException("terminating connection due to administrator command", "57P01"), true,
                new SQLException("the database system is in recovery mode", "57P03"), true,
                new ConnectionException(new SQLTransientConnectionException("iac-store - Connection is not available")),
                        true,
                new RuntimeException("wrapped", new SQLException("server closed the connection", "08006")), true,
                new SQLException("duplicate key value violates unique constraint", "23505"), false,
                new SQLException("canceling statement due to statement timeout", "57014"), false,
                new IllegalStateException("a bug"), false);
        cases.forEach((failure, unavailable) -> assertThat(StoreAvailability.isUnavailable(failure))
                .as(failure.toString())
                .isEqualTo(unavailable));
    }

    @Test
    void anOutageChangesStateOnceAndEndsOnce() {
        StoreAvailability store = new StoreAvailability();
        assertThat(store.failed(new SQLException("constraint", "23505"))).isFalse();
        assertThat(store.state()).isEqualTo(StoreAvailability.State.AVAILABLE);

        assertThat(store.failed(new SQLException("connection refused", "08001")))
                .isTrue();
        assertThat(store.unavailable("again"))
                .as("already unavailable: not logged again")
                .isFalse();
        assertThat(store.state()).isEqualTo(StoreAvailability.State.UNAVAILABLE);
        store.available("back");
        assertThat(store.state()).isEqualTo(StoreAvailability.State.AVAILABLE);

        store.lost("could not restart");
        store.available("a probe that got lucky");
        assertThat(store.state()).as("lost is final").isEqualTo(StoreAvailability.State.LOST);
    }
}
