package io.iacrunner.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.FakeServer.Reply;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogShipperTest {
    private static final String TASK = "t-1";

    @TempDir
    Path dir;

    private FakeServer server;
    private FakeLogStore logs;
    private AgentSession session;
    private final AtomicInteger staleNotices = new AtomicInteger();
    private final List<LogShipper> shippers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeServer();
        session = Fixtures.registeredSession(server, dir);
        logs = new FakeLogStore();
        server.on("POST", ApiPaths.TASK_LOGS, logs);
    }

    @AfterEach
    void tearDown() {
        shippers.forEach(LogShipper::close);
        server.close();
    }

    private LogShipper shipper() {
        LogShipper shipper = new LogShipper(session, TASK, 1, staleNotices::incrementAndGet);
        shippers.add(shipper);
        shipper.start();
        return shipper;
    }

    private static void appendLines(LogShipper shipper, LogStream stream, String prefix, int count) {
        for (int i = 0; i < count; i++) shipper.append(stream, prefix + i);
    }

    /** Every stored line is what was appended, numbered 0.. in order, once. */
    private void assertStoredExactly(List<String> expected) {
        List<LogLine> stored = logs.stored(TASK);
        assertThat(stored).extracting(LogLine::line).containsExactlyElementsOf(expected);
        assertThat(stored).extracting(LogLine::seq).containsExactlyElementsOf(
                IntStream.range(0, expected.size()).mapToObj(i -> (long) i).toList());
        assertThat(logs.violations).isEmpty();
    }

    @Test
    void deliversEveryLineOnceInArrivalOrderInBatchesOfAtMostAThousand() throws Exception {
        LogShipper shipper = shipper();
        CompletableFuture<Void> out = CompletableFuture.runAsync(() -> appendLines(shipper, LogStream.STDOUT, "out-", 3000));
        CompletableFuture<Void> err = CompletableFuture.runAsync(() -> appendLines(shipper, LogStream.STDERR, "err-", 3000));
        CompletableFuture.allOf(out, err).join();

        assertThat(shipper.flush()).isEqualTo(6000);

        List<LogLine> stored = logs.stored(TASK);
        assertThat(stored).hasSize(6000);
        assertThat(stored).extracting(LogLine::seq).containsExactlyElementsOf(IntStream.range(0, 6000).mapToObj(i -> (long) i).toList());
        // Each stream keeps its own order inside the shared numbering.
        assertThat(stored.stream().filter(l -> l.stream() == LogStream.STDOUT).map(LogLine::line).toList())
                .containsExactlyElementsOf(IntStream.range(0, 3000).mapToObj(i -> "out-" + i).toList());
        assertThat(stored.stream().filter(l -> l.stream() == LogStream.STDERR).map(LogLine::line).toList())
                .containsExactlyElementsOf(IntStream.range(0, 3000).mapToObj(i -> "err-" + i).toList());
        assertThat(logs.batches).allSatisfy(b -> assertThat(b.lines()).hasSizeBetween(1, LogShipper.MAX_BATCH_LINES));
        assertThat(logs.maxInFlight).hasValue(1);
        assertThat(logs.violations).isEmpty();
        assertThat(server.requests("POST", ApiPaths.TASK_LOGS)).allSatisfy(r -> assertThat(r.bearer()).isEqualTo("agent-token-1"));
    }

    @Test
    void retriesAfterServerOutageWithoutLosingLines() throws Exception {
        logs.outage.set(4);
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 1200);

        assertThat(shipper.flush()).isEqualTo(1200);

        assertStoredExactly(IntStream.range(0, 1200).mapToObj(i -> "line-" + i).toList());
        assertThat(logs.outage).hasValue(0);
        assertThat(logs.batches.size()).isGreaterThanOrEqualTo(4 + 2);
    }

    @Test
    void resendsAfterALostReplyAndTheServerSkipsWhatItAlreadyHas() throws Exception {
        logs.loseEveryOtherReply = true;
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 2500);

        assertThat(shipper.flush()).isEqualTo(2500);

        assertStoredExactly(IntStream.range(0, 2500).mapToObj(i -> "line-" + i).toList());
        assertThat(logs.linesSent()).as("lost replies make the shipper resend").isGreaterThan(2500);
        assertThat(logs.maxInFlight).hasValue(1);
    }

    @Test
    void continuesFromTheAcknowledgedLineAfterAPartialAck() throws Exception {
        logs.storeAtMost = 150;
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 1000);

        assertThat(shipper.flush()).isEqualTo(1000);

        assertStoredExactly(IntStream.range(0, 1000).mapToObj(i -> "line-" + i).toList());
        assertThat(logs.batches).extracting(LogBatch::firstSeq).startsWith(0L, 150L, 300L, 450L);
    }

    @Test
    void stopsShippingAndTellsTheRunnerWhenTheAttemptIsStale() throws Exception {
        logs.refusal = Reply.error(409, "stale_attempt", "attempt 1 is not the current attempt");
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 10);

        assertThat(shipper.flush()).isEqualTo(10);

        assertThat(shipper.isStale()).isTrue();
        assertThat(staleNotices).hasValue(1);
        assertThat(logs.batches).hasSize(1);
    }

    @Test
    void stopsShippingOnALogGapInsteadOfRetryingForever() throws Exception {
        logs.refusal = Reply.error(409, "log_gap", "first_seq beyond committed");
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 10);

        assertThat(shipper.flush()).isEqualTo(10);

        assertThat(shipper.isStale()).isFalse();
        assertThat(staleNotices).hasValue(0);
        Thread.sleep(300);
        assertThat(logs.batches).hasSize(1);
    }

    @Test
    void sendsWaitingLinesAfterTheLingerWithoutAFlush() {
        LogShipper shipper = shipper();
        Instant appended = Instant.now();
        appendLines(shipper, LogStream.STDOUT, "line-", 3);

        await().atMost(Duration.ofSeconds(3)).until(() -> logs.stored(TASK).size() == 3);

        Instant firstRequest = server.requests("POST", ApiPaths.TASK_LOGS).getFirst().at();
        assertThat(Duration.between(appended, firstRequest)).as("the first batch waits for the linger")
                .isGreaterThanOrEqualTo(Duration.ofMillis(150));
        assertThat(logs.batches).hasSize(1);
    }

    @Test
    void keepsEveryRequestUnderTheByteBudgetWithLongColouredLines() throws Exception {
        LogShipper shipper = shipper();
        String coloured = "\u001B[31m" + "x".repeat(LineReader.MAX_LINE_BYTES - 20) + "\u001B[0m";
        List<String> expected = IntStream.range(0, 40).mapToObj(i -> i + coloured).toList();
        expected.forEach(l -> shipper.append(LogStream.STDOUT, l));

        assertThat(shipper.flush()).isEqualTo(40);

        assertStoredExactly(expected);
        assertThat(logs.requestBytes).allSatisfy(bytes -> assertThat(bytes).isLessThanOrEqualTo(1024 * 1024));
        assertThat(logs.batches.size()).isGreaterThan(1);
    }

    @Test
    void flushWithNothingAppendedReturnsZeroWithoutARequest() throws Exception {
        assertThat(shipper().flush()).isZero();
        assertThat(logs.batches).isEmpty();
    }

    @Test
    void registersAgainWhenTheServerForgetsTheAgentAndKeepsEveryLine() throws Exception {
        server.on("POST", ApiPaths.TASK_LOGS, r -> "agent-token-1".equals(r.bearer())
                ? Reply.error(404, "unknown_agent", "no such agent")
                : logs.handle(r));
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 20);

        assertThat(shipper.flush()).isEqualTo(20);

        assertStoredExactly(IntStream.range(0, 20).mapToObj(i -> "line-" + i).toList());
        assertThat(server.requests("POST", ApiPaths.AGENT_REGISTER)).hasSize(2);
    }

    @Test
    void treatsTheAttemptAsStaleWhenRejectedEvenAfterRegisteringAgain() throws Exception {
        // The attempt was claimed by the agent we were before: a new registration does not make it ours.
        server.on("POST", ApiPaths.TASK_LOGS, r -> Reply.error(404, "unknown_agent", "no such agent"));
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 5);

        assertThat(shipper.flush()).isEqualTo(5);

        assertThat(shipper.isStale()).isTrue();
        assertThat(staleNotices).hasValue(1);
        assertThat(server.requests("POST", ApiPaths.AGENT_REGISTER)).as("one re-registration, not one per retry").hasSize(2);
    }
}
