package io.iacrunner.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.WsTicket;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tickets live in the store, so two {@link WsTickets} on one database behave as two replicas behind a load balancer:
 * a ticket issued by one opens on the other, and still only once.
 */
class WsTicketsTest {
    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        volatile Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static TestServer server;
    static Jdbi store;

    private final MovingClock clock = new MovingClock();
    private ApiTokens tokens;
    private WsTickets replicaA;
    private WsTickets replicaB;
    private Principal.User user;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        store = server.store();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void replicas() {
        store.useHandle(h -> h.execute("delete from ws_tickets"));
        tokens = new ApiTokens(store, clock);
        replicaA = new WsTickets(store, tokens, clock);
        replicaB = new WsTickets(store, tokens, clock);
        user = (Principal.User) tokens.verify(server.userToken(Role.READ, "w"));
    }

    @Test
    void aTicketIssuedByOneReplicaOpensOnAnotherOnce() {
        WsTicket ticket = replicaA.issue(user);
        assertThat(ticket.expiresAt()).isEqualTo(clock.now.plus(WsTickets.TTL));
        assertThat(replicaB.redeem(ticket.ticket())).isEqualTo(user);
        assertThatThrownBy(() -> replicaA.redeem(ticket.ticket()))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
        assertThatThrownBy(() -> replicaB.redeem(ticket.ticket()))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
    }

    @Test
    void twoReplicasRedeemingTheSameTicketsAtOnceOpenEachExactlyOnce() throws Exception {
        List<String> issued = new ArrayList<>();
        for (int i = 0; i < 20; i++) issued.add(replicaA.issue(user).ticket());
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<Integer>> counts = new ArrayList<>();
            for (WsTickets replica : List.of(replicaA, replicaB, replicaA, replicaB)) {
                counts.add(pool.submit((Callable<Integer>) () -> {
                    int opened = 0;
                    for (String ticket : issued) {
                        try {
                            replica.redeem(ticket);
                            opened++;
                        } catch (ApiProblem refused) {
                            assertThat(refused.status()).isEqualTo(401);
                        }
                    }
                    return opened;
                }));
            }
            int total = 0;
            for (Future<Integer> count : counts) total += count.get();
            assertThat(total).isEqualTo(issued.size());
        }
    }

    @Test
    void aTicketExpiresAfterThirtySeconds() {
        WsTicket ticket = replicaA.issue(user);
        clock.now = clock.now.plus(WsTickets.TTL);
        assertThatThrownBy(() -> replicaB.redeem(ticket.ticket()))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.getMessage()).contains("expired"));
    }

    @Test
    void aTokenRevokedAfterItsTicketWasIssuedOpensNothing() {
        WsTicket ticket = replicaA.issue(user);
        tokens.revoke(user.tokenId());
        assertThatThrownBy(() -> replicaB.redeem(ticket.ticket())).isInstanceOfSatisfying(ApiProblem.class, p -> {
            assertThat(p.status()).isEqualTo(401);
            assertThat(p.getMessage()).contains("revoked");
        });
    }

    @Test
    void unknownAndMissingTicketsAreRefused() {
        assertThatThrownBy(() -> replicaA.redeem("not-a-ticket"))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
        assertThatThrownBy(() -> replicaA.redeem(null))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(401));
    }

    @Test
    void theStoreKeepsOnlyTheTicketsHash() {
        String ticket = replicaA.issue(user).ticket();
        List<byte[]> stored = store.withHandle(h -> h.createQuery("select ticket_sha256 from ws_tickets")
                .mapTo(byte[].class)
                .list());
        assertThat(stored).hasSize(1);
        assertThat(new String(stored.get(0), StandardCharsets.ISO_8859_1)).doesNotContain(ticket);
        assertThat(stored.get(0)).isEqualTo(ApiTokens.sha256(ticket));
    }

    @Test
    void unusedTicketsAreBoundedAndExpiredOnesMakeRoom() {
        WsTickets small = new WsTickets(store, tokens, clock, 3);
        for (int i = 0; i < 3; i++) small.issue(user);
        assertThatThrownBy(() -> small.issue(user))
                .isInstanceOfSatisfying(
                        ApiProblem.class, p -> assertThat(p.status()).isEqualTo(429));
        clock.now = clock.now.plus(WsTickets.TTL).plus(Duration.ofSeconds(1));
        assertThat(small.redeem(small.issue(user).ticket())).isEqualTo(user);
        int left = store.withHandle(h -> h.createQuery("select count(*) from ws_tickets")
                .mapTo(Integer.class)
                .one());
        assertThat(left).as("the expired ones were deleted to make room").isZero();
    }
}
