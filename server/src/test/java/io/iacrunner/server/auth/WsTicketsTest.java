package io.iacrunner.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.WsTicket;
import io.iacrunner.server.problems.ApiProblem;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class WsTicketsTest {
    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final MovingClock clock = new MovingClock();
    private final WsTickets tickets = new WsTickets(clock);
    private final Principal admin = new Principal.User("tok-0000000000000000", "admin", true, java.util.Map.of());

    @Test
    void aTicketStandsForItsPrincipalOnce() {
        WsTicket ticket = tickets.issue(admin);
        assertThat(ticket.expiresAt()).isEqualTo(clock.now.plus(WsTickets.TTL));
        assertThat(tickets.redeem(ticket.ticket())).isEqualTo(admin);
        assertThatThrownBy(() -> tickets.redeem(ticket.ticket()))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
    }

    @Test
    void aTicketExpiresAfterThirtySeconds() {
        WsTicket ticket = tickets.issue(admin);
        clock.now = clock.now.plus(WsTickets.TTL);
        assertThatThrownBy(() -> tickets.redeem(ticket.ticket()))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.getMessage()).contains("expired"));
    }

    @Test
    void unusedTicketsAreBoundedAndExpiredOnesMakeRoom() {
        for (int i = 0; i < WsTickets.MAX_OUTSTANDING; i++) tickets.issue(admin);
        assertThatThrownBy(() -> tickets.issue(admin))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(429));
        clock.now = clock.now.plus(WsTickets.TTL).plus(Duration.ofSeconds(1));
        assertThat(tickets.redeem(tickets.issue(admin).ticket())).isEqualTo(admin);
    }
}
