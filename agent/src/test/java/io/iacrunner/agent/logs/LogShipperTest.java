package io.iacrunner.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.iacrunner.agent.testing.FakeLogStore;
import io.iacrunner.agent.testing.FakeServer;
import io.iacrunner.agent.testing.FakeServer.Reply;
import io.iacrunner.agent.testing.Fixtures;
import io.iacrunner.agent.testing.ManualClock;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.agent.util.Credentials;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.testing.SmallDisk;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
    private Credentials credentials;
    private final AtomicInteger staleNotices = new AtomicInteger();
    /** The shippers' clock: the system's, but for the test that steps the lingers. */
    private AgentClock clock = AgentClock.system();

    private final List<LogShipper> shippers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        server = new FakeServer();
        Fixtures.acceptRegistrations(server, new PoolConfig("default", 2, false, Map.of()), 1, 0);
        credentials = Fixtures.registeredCredentials(server);
        logs = new FakeLogStore();
        server.on("POST", ApiPaths.TASK_LOGS, logs);
    }

    @AfterEach
    void tearDown() {
        shippers.forEach(LogShipper::close);
        server.close();
    }

    private LogShipper shipper() {
        return shipper(0);
    }

    private LogShipper shipper(long maxLogBytes) {
        LogShipper shipper;
        try {
            shipper = new LogShipper(
                    uplink(false),
                    LogSpool.create(dir, TASK, 1),
                    maxLogBytes,
                    staleNotices::incrementAndGet,
                    () -> false,
                    clock);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        shippers.add(shipper);
        shipper.start();
        return shipper;
    }

    private LogUplink uplink(boolean websocket) {
        return new LogUplink(credentials, TASK, 1, websocket, clock);
    }

    private static void appendLines(LogShipper shipper, LogStream stream, String prefix, int count) {
        for (int i = 0; i < count; i++) shipper.append(stream, prefix + i);
    }

    /** Every stored line is what was appended, numbered 0.. in order, once. */
    private void assertStoredExactly(List<String> expected) {
        List<LogLine> stored = logs.stored(TASK);
        assertThat(stored).extracting(LogLine::line).containsExactlyElementsOf(expected);
        assertThat(stored)
                .extracting(LogLine::seq)
                .containsExactlyElementsOf(IntStream.range(0, expected.size())
                        .mapToObj(i -> (long) i)
                        .toList());
        assertThat(logs.violations).isEmpty();
    }

    @Test
    void deliversEveryLineOnceInArrivalOrderInBatchesOfAtMostAThousand() throws Exception {
        LogShipper shipper = shipper();
        CompletableFuture<Void> out =
                CompletableFuture.runAsync(() -> appendLines(shipper, LogStream.STDOUT, "out-", 3000));
        CompletableFuture<Void> err =
                CompletableFuture.runAsync(() -> appendLines(shipper, LogStream.STDERR, "err-", 3000));
        CompletableFuture.allOf(out, err).join();

        assertThat(shipper.flush().lines()).isEqualTo(6000);

        List<LogLine> stored = logs.stored(TASK);
        assertThat(stored).hasSize(6000);
        assertThat(stored)
                .extracting(LogLine::seq)
                .containsExactlyElementsOf(
                        IntStream.range(0, 6000).mapToObj(i -> (long) i).toList());
        // Each stream keeps its own order inside the shared numbering.
        assertThat(stored.stream()
                        .filter(l -> l.stream() == LogStream.STDOUT)
                        .map(LogLine::line)
                        .toList())
                .containsExactlyElementsOf(
                        IntStream.range(0, 3000).mapToObj(i -> "out-" + i).toList());
        assertThat(stored.stream()
                        .filter(l -> l.stream() == LogStream.STDERR)
                        .map(LogLine::line)
                        .toList())
                .containsExactlyElementsOf(
                        IntStream.range(0, 3000).mapToObj(i -> "err-" + i).toList());
        assertThat(logs.batches).allSatisfy(b -> assertThat(b.lines()).hasSizeBetween(1, LogShipper.MAX_BATCH_LINES));
        assertThat(logs.maxInFlight).hasValue(1);
        assertThat(logs.violations).isEmpty();
        assertThat(server.requests("POST", ApiPaths.TASK_LOGS))
                .allSatisfy(r -> assertThat(r.bearer()).isEqualTo("agent-token-1"));
    }

    @Test
    void retriesAfterServerOutageWithoutLosingLines() throws Exception {
        logs.outage.set(4);
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 1200);

        assertThat(shipper.flush().lines()).isEqualTo(1200);

        assertStoredExactly(IntStream.range(0, 1200).mapToObj(i -> "line-" + i).toList());
        assertThat(logs.outage).hasValue(0);
        assertThat(logs.batches.size()).isGreaterThanOrEqualTo(4 + 2);
    }

    @Test
    void everyLineIsInTheSpoolBeforeItIsSentAndTheSpoolGoesWithTheAttempt() throws Exception {
        logs.refusal = Reply.error(503, "unavailable", "down for now");
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 50);
        Path spool = dir.resolve(LogSpool.DIR).resolve(TASK + ".a1.jsonl");

        List<String> spooled = Files.readAllLines(spool);
        assertThat(spooled).hasSize(50);
        assertThat(spooled.get(49)).contains("\"seq\":49").contains("line-49");
        logs.refusal = null;
        assertThat(shipper.flush().lines()).isEqualTo(50);
        shipper.close();
        assertThat(spool).doesNotExist();
    }

    @Test
    void theProofIsTheCountAndSha256OfEveryLineAsSent() throws Exception {
        LogShipper shipper = shipper();
        List<String> lines = List.of("plain", "ünïcödé ✓", "", "\u001B[1mbold\u001B[0m");
        lines.forEach(l -> shipper.append(LogStream.STDOUT, l));

        LogShipper.Proof proof = shipper.flush();

        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (LogLine stored : logs.stored(TASK)) sha.update((stored.line() + "\n").getBytes(StandardCharsets.UTF_8));
        assertThat(proof).isEqualTo(new LogShipper.Proof(4, HexFormat.of().formatHex(sha.digest()), 0, null));
    }

    @Test
    void aLogOverItsLimitIsCutWithOneNoticeAndCountsWhatWasLeftOut() throws Exception {
        LogShipper shipper = shipper(100); // each "line-N" is 7 or 8 bytes with its newline
        appendLines(shipper, LogStream.STDOUT, "line-", 40);

        assertThat(shipper.flush().lines()).isEqualTo(logs.stored(TASK).size());
        List<String> stored = logs.stored(TASK).stream().map(LogLine::line).toList();
        assertThat(stored.subList(0, 13))
                .containsExactlyElementsOf(
                        IntStream.range(0, 13).mapToObj(i -> "line-" + i).toList());
        assertThat(stored.subList(13, stored.size()))
                .containsExactly(
                        "iac-runner: the log reached its limit of 100 bytes; further output is not stored (the task goes on)",
                        "iac-runner: 27 lines of output after the log limit were not stored");
        assertThat(logs.stored(TASK).subList(13, 15))
                .allSatisfy(l -> assertThat(l.stream()).isEqualTo(LogStream.SYSTEM));
    }

    @Test
    void aResumedSpoolAsksWhatTheServerHasAndSendsOnlyTheRest() throws Exception {
        LogShipper first = shipper();
        appendLines(first, LogStream.STDOUT, "line-", 30);
        LogShipper.Proof original = first.flush();
        Path spool = dir.resolve(LogSpool.DIR).resolve(TASK + ".a1.jsonl");
        List<String> spooled = Files.readAllLines(spool);
        shippers.remove(first);
        first.closeKeepingSpool();
        // As after a crash: the server has 30 lines, the spool 45 and half of a 46th.
        for (int i = 30; i < 45; i++) {
            Files.writeString(
                    spool,
                    spooled.get(29).replace("\"seq\":29", "\"seq\":" + i).replace("line-29", "line-" + i) + "\n",
                    StandardOpenOption.APPEND);
        }
        Files.writeString(spool, "{\"seq\":45,\"li", StandardOpenOption.APPEND);
        logs.batches.clear();

        LogShipper resumed = LogShipper.resume(
                uplink(false),
                LogSpool.reopen(new LogSpool.Leftover(spool, TASK, 1)),
                staleNotices::incrementAndGet,
                clock);
        shippers.add(resumed);
        resumed.start();
        LogShipper.Proof proof = resumed.flush();

        assertStoredExactly(IntStream.range(0, 45).mapToObj(i -> "line-" + i).toList());
        assertThat(logs.batches.getFirst().lines()).as("first a probe").isEmpty();
        assertThat(logs.batches.get(1).firstSeq())
                .as("then only what the server lacks")
                .isEqualTo(30);
        assertThat(proof.lines()).isEqualTo(45);
        assertThat(proof.sha256()).isNotEqualTo(original.sha256());
    }

    @Test
    void fallsBackToHttpWhenTheAgentWebSocketCannotBeOpened() throws Exception {
        LogShipper shipper = new LogShipper(
                uplink(true), LogSpool.create(dir, TASK, 1), 0, staleNotices::incrementAndGet, () -> false, clock);
        shippers.add(shipper);
        shipper.start();
        appendLines(shipper, LogStream.STDOUT, "line-", 10);

        assertThat(shipper.flush().lines()).isEqualTo(10);
        assertStoredExactly(IntStream.range(0, 10).mapToObj(i -> "line-" + i).toList());
    }

    @Test
    void resendsAfterALostReplyAndTheServerSkipsWhatItAlreadyHas() throws Exception {
        logs.loseEveryOtherReply = true;
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 2500);

        assertThat(shipper.flush().lines()).isEqualTo(2500);

        assertStoredExactly(IntStream.range(0, 2500).mapToObj(i -> "line-" + i).toList());
        assertThat(logs.linesSent()).as("lost replies make the shipper resend").isGreaterThan(2500);
        assertThat(logs.maxInFlight).hasValue(1);
    }

    @Test
    void continuesFromTheAcknowledgedLineAfterAPartialAck() throws Exception {
        logs.storeAtMost = 150;
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 1000);

        assertThat(shipper.flush().lines()).isEqualTo(1000);

        assertStoredExactly(IntStream.range(0, 1000).mapToObj(i -> "line-" + i).toList());
        // Each batch starts where the ack before it ended (at most 150 lines stored per request), however many lines
        // the first batch happened to take.
        List<LogBatch> sent = List.copyOf(logs.batches);
        assertThat(sent.getFirst().firstSeq()).isZero();
        for (int i = 1; i < sent.size(); i++) {
            LogBatch before = sent.get(i - 1);
            assertThat(sent.get(i).firstSeq())
                    .as("batch %d", i)
                    .isEqualTo(before.firstSeq() + Math.min(150, before.lines().size()));
        }
        assertThat(sent).anySatisfy(b -> assertThat(b.lines()).hasSizeGreaterThan(150));
    }

    @Test
    void stopsShippingAndTellsTheRunnerWhenTheAttemptIsStale() throws Exception {
        logs.refusal = Reply.error(409, "stale_attempt", "attempt 1 is not the current attempt");
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 10);

        assertThat(shipper.flush().lines()).isEqualTo(10);

        assertThat(shipper.isStale()).isTrue();
        assertThat(staleNotices).hasValue(1);
        assertThat(logs.batches).hasSize(1);
    }

    @Test
    void aServerThatLostAcknowledgedLinesIsAskedWhatItHasAndGetsTheRestAgainFromTheSpool() throws Exception {
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 100);
        await().atMost(Duration.ofSeconds(10)).until(() -> logs.stored(TASK).size() == 100);
        logs.loseLastLines(TASK, 40); // the store lost its last chunks after acknowledging them

        appendLines(shipper, LogStream.STDOUT, "more-", 10);
        LogShipper.Proof proof = shipper.flush();

        List<String> expected = new ArrayList<>(
                IntStream.range(0, 100).mapToObj(i -> "line-" + i).toList());
        IntStream.range(0, 10).forEach(i -> expected.add("more-" + i));
        assertStoredExactly(expected);
        assertThat(proof.lines()).isEqualTo(110);
        assertThat(logs.batches.stream()
                        .anyMatch(b -> b.firstSeq() == 0 && b.lines().isEmpty()))
                .as("it asked with a probe")
                .isTrue();
        assertThat(logs.batches.stream()
                        .anyMatch(b -> b.firstSeq() == 60 && !b.lines().isEmpty()))
                .as("then resent from 60")
                .isTrue();
        assertThat(shipper.isStale()).isFalse();
        assertThat(staleNotices).hasValue(0);
    }

    @Test
    void aResultRefusedForAGapSendsTheLinesAgainAndTheSameProofStands() throws Exception {
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 50);
        LogShipper.Proof first = shipper.flush();
        logs.loseLastLines(TASK, 20); // found only when the result is refused with log_gap

        shipper.resync();
        LogShipper.Proof second = shipper.flush();

        assertStoredExactly(IntStream.range(0, 50).mapToObj(i -> "line-" + i).toList());
        assertThat(second).as("flushing again proves the same log").isEqualTo(first);
    }

    @Test
    void onAFullDiskTheReserveIsFreedOnceAndLinesThatStillCannotBeSpooledAreCountedApartWithTheReason()
            throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir, 1)) {
            AtomicInteger reserveFreed = new AtomicInteger();
            Path reserve = disk.path().resolve("reserve");
            Files.write(reserve, new byte[64 * 1024]);
            LogShipper shipper = new LogShipper(
                    uplink(false),
                    LogSpool.create(disk.path(), TASK, 1),
                    0,
                    staleNotices::incrementAndGet,
                    () -> {
                        reserveFreed.incrementAndGet();
                        try {
                            return Files.deleteIfExists(reserve);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    },
                    clock);
            shippers.add(shipper);
            shipper.start();
            appendLines(shipper, LogStream.STDOUT, "before-", 10);
            disk.fill("filler", 0);
            String kb = "x".repeat(1000);
            for (int i = 0; i < 200; i++)
                shipper.append(LogStream.STDOUT, "after-" + i + " " + kb); // ~200 KB: more than the reserve

            LogShipper.Proof proof = shipper.flush();

            assertThat(shipper.sawNoSpace()).isTrue();
            assertThat(reserveFreed).as("the reserve was asked for").hasPositiveValue();
            assertThat(reserve).as("and freed").doesNotExist();
            assertThat(proof.lost()).as("lines that fit in no spool").isPositive();
            assertThat(proof.lostReason()).contains("no space left on device");
            assertThat(proof.lines() + proof.lost()).isEqualTo(210);
            assertThat(proof.lines()).as("the reserve took some lines").isGreaterThan(10 + 30);
            assertThat(logs.stored(TASK)).as("every spooled line arrived").hasSize((int) proof.lines());
            assertThat(logs.stored(TASK).get(9).line()).isEqualTo("before-9");
            shipper.close();
        }
    }

    @Test
    void lingersBrieflyWhileSomeoneWatchesAndAboutASecondWhenNobodyDoes() {
        ManualClock time = new ManualClock();
        clock = time;
        LogShipper shipper = shipper();
        logs.viewers = 1;

        appendLines(shipper, LogStream.STDOUT, "watched-", 3);
        await().until(() -> time.waitingFor(LogShipper.LINGER_WATCHED));
        assertThat(logs.batches).as("nothing goes before the linger is over").isEmpty();
        time.advance(LogShipper.LINGER_WATCHED);
        await().until(() -> logs.stored(TASK).size() == 3);

        logs.viewers = 0;
        appendLines(shipper, LogStream.STDOUT, "ack-", 1); // its ack says nobody watches
        await().until(() -> time.waitingFor(LogShipper.LINGER_WATCHED));
        time.advance(LogShipper.LINGER_WATCHED);
        await().until(() -> logs.stored(TASK).size() == 4);

        appendLines(shipper, LogStream.STDOUT, "unwatched-", 3);
        await().until(() -> time.waitingFor(LogShipper.LINGER_UNWATCHED));
        time.advance(LogShipper.LINGER_WATCHED);
        Duration rest = LogShipper.LINGER_UNWATCHED.minus(LogShipper.LINGER_WATCHED);
        await().until(() -> time.waitingFor(rest));
        assertThat(logs.stored(TASK))
                .as("without viewers the batch waits past the short linger")
                .hasSize(4);
        time.advance(rest);
        await().until(() -> logs.stored(TASK).size() == 7);

        assertThat(logs.batches).as("one request per linger, no flush needed").hasSize(3);
    }

    @Test
    void onceToldToSendNowNoLineWaitsForTheLinger() {
        ManualClock time = new ManualClock();
        clock = time;
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "apply-", 3);
        await().until(() -> time.waitingFor(LogShipper.LINGER_WATCHED)); // until an ack says nobody watches

        shipper.sendNow();

        await().until(() -> logs.stored(TASK).size() == 3); // the clock stands still
        appendLines(shipper, LogStream.SYSTEM, "after-", 1);
        await().until(() -> logs.stored(TASK).size() == 4);
    }

    @Test
    void keepsEveryRequestUnderTheByteBudgetWithLongColouredLines() throws Exception {
        LogShipper shipper = shipper();
        String coloured = "\u001B[31m" + "x".repeat(LineReader.MAX_LINE_BYTES - 20) + "\u001B[0m";
        List<String> expected =
                IntStream.range(0, 40).mapToObj(i -> i + coloured).toList();
        expected.forEach(l -> shipper.append(LogStream.STDOUT, l));

        assertThat(shipper.flush().lines()).isEqualTo(40);

        assertStoredExactly(expected);
        assertThat(logs.requestBytes).allSatisfy(bytes -> assertThat(bytes).isLessThanOrEqualTo(1024 * 1024));
        assertThat(logs.batches.size()).isGreaterThan(1);
    }

    @Test
    void flushWithNothingAppendedReturnsZeroWithoutARequest() throws Exception {
        assertThat(shipper().flush().lines()).isZero();
        assertThat(logs.batches).isEmpty();
    }

    @Test
    void registersAgainWhenTheServerForgetsTheAgentAndKeepsEveryLine() throws Exception {
        server.on(
                "POST",
                ApiPaths.TASK_LOGS,
                r -> "agent-token-1".equals(r.bearer())
                        ? Reply.error(404, "unknown_agent", "no such agent")
                        : logs.handle(r));
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 20);

        assertThat(shipper.flush().lines()).isEqualTo(20);

        assertStoredExactly(IntStream.range(0, 20).mapToObj(i -> "line-" + i).toList());
        assertThat(server.requests("POST", ApiPaths.AGENT_REGISTER)).hasSize(2);
    }

    @Test
    void treatsTheAttemptAsStaleWhenRejectedEvenAfterRegisteringAgain() throws Exception {
        // The attempt was claimed by the agent we were before: a new registration does not make it ours.
        server.on("POST", ApiPaths.TASK_LOGS, r -> Reply.error(404, "unknown_agent", "no such agent"));
        LogShipper shipper = shipper();
        appendLines(shipper, LogStream.STDOUT, "line-", 5);

        assertThat(shipper.flush().lines()).isEqualTo(5);

        assertThat(shipper.isStale()).isTrue();
        assertThat(staleNotices).hasValue(1);
        assertThat(server.requests("POST", ApiPaths.AGENT_REGISTER))
                .as("one re-registration, not one per retry")
                .hasSize(2);
    }
}
