package io.iacrunner.server.notifications;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateNotificationRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.DeliveryList;
import io.iacrunner.protocol.DeliveryView;
import io.iacrunner.protocol.NotificationCreated;
import io.iacrunner.protocol.NotificationEvent;
import io.iacrunner.protocol.NotificationList;
import io.iacrunner.protocol.PhaseUpdate;
import io.iacrunner.protocol.PlanFileUpload;
import io.iacrunner.protocol.PlanReport;
import io.iacrunner.protocol.PlanSummary;
import io.iacrunner.protocol.PullRequest;
import io.iacrunner.protocol.PullResponse;
import io.iacrunner.protocol.ReviewRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.TaskResult;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.testing.TestServer;
import io.iacrunner.server.util.Cidr;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhook notifications against a real receiver on loopback (allowed by {@code --notify-allow 127.0.0.0/8}): each
 * subscribed event arrives once, signed; a receiver answering 500 is retried under the same delivery id; bad
 * destinations are refused precisely and change nothing.
 */
class NotificationsTest {
    static final String SECRET = "a-secret-of-more-than-sixteen-bytes";
    static TestServer server;
    static Receiver receiver;

    @BeforeAll
    static void start() {
        receiver = Receiver.start();
        server = TestServer.start(c -> c.pingInterval(Duration.ofSeconds(60))
                .autoApplyDefault(false)
                .notifyAllow(Cidr.parseList("127.0.0.0/8")));
    }

    @AfterAll
    static void stop() {
        server.close();
        receiver.close();
    }

    static String fresh(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static NotificationCreated add(String ws, String url, List<String> events, String secret) {
        return server.admin()
                .post(
                        ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws),
                        new CreateNotificationRequest(url, events, secret),
                        NotificationCreated.class);
    }

    static List<DeliveryView> deliveries(String ws) {
        return server.admin()
                .get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION_DELIVERIES, ws), DeliveryList.class)
                .deliveries();
    }

    static List<Receiver.Request> receivedFor(String ws) {
        return receiver.requests().stream()
                .filter(r -> r.body().contains("\"workspace_id\":\"" + ws + "\""))
                .toList();
    }

    static TaskView queue(String ws, Map<String, String> labels, TaskAction action) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", ws);
        return server.admin()
                .post(
                        ApiPaths.TASKS,
                        new CreateTaskRequest(ws, action, tf, null, null, labels, null, null),
                        TaskView.class);
    }

    /** Claims the one queued task of the workspace's own pool and reports {@code status} for it. */
    static TaskView run(String ws, Map<String, String> labels, TaskStatus status) {
        var agent = server.registerAgentInPool("agent-" + UUID.randomUUID(), labels.get("test"));
        PullResponse pulled = agent.client()
                .post(ApiPaths.TASK_PULL, new PullRequest(agent.agentId(), 3, true, 0), PullResponse.class);
        assertThat(pulled.tasks()).hasSize(1);
        TaskAssignment task = pulled.tasks().getFirst();
        ApiClient job = agent.job(task);
        String id = task.taskId();
        job.post(
                ApiPaths.fill(ApiPaths.TASK_PHASE, id),
                new PhaseUpdate(task.attempt(), TaskPhase.PLANNING),
                Void.class);
        if (status == TaskStatus.PLANNED) {
            byte[] bundle = "plan bundle".getBytes(StandardCharsets.UTF_8);
            job.post(
                    ApiPaths.fill(ApiPaths.TASK_PLAN, id),
                    new PlanReport(task.attempt(), new PlanSummary(List.of("terraform_data.x"), List.of(), List.of())),
                    Void.class);
            job.put(
                    ApiPaths.fill(ApiPaths.TASK_PLAN_FILE, id),
                    new PlanFileUpload(
                            task.attempt(),
                            sha256(bundle),
                            null,
                            null,
                            Base64.getEncoder().encodeToString(bundle)),
                    Void.class);
        }
        return job.post(
                ApiPaths.fill(ApiPaths.TASK_RESULT, id),
                new TaskResult(task.attempt(), status, status == TaskStatus.FAILED ? 1 : 0, null, 0, null),
                TaskView.class);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The signature as a receiver computes it, independently of the server's code. */
    static String expectedSignature(String secret, String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256="
                + HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    static void assertRefused(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).as(e.toString()).isEqualTo(status);
            assertThat(e.code()).as(e.toString()).isEqualTo(code);
        });
    }

    @Test
    void everySubscribedEventArrivesOnceSignedAndNothingElseDoes() throws Exception {
        String ws = fresh("notify");
        Map<String, String> labels = server.ownPool("pool-" + ws);
        NotificationCreated created =
                add(ws, receiver.url("/hook?team=infra"), List.of("planned", "errored", "failed", "succeeded"), SECRET);
        assertThat(created.generatedSecret())
                .as("the request gave its own secret")
                .isNull();
        assertThat(WireJson.lenient().writeValueAsString(created)).doesNotContain(SECRET);

        queue(ws, labels, TaskAction.PLAN);
        TaskView succeeded = run(ws, labels, TaskStatus.SUCCEEDED);
        queue(ws, labels, TaskAction.PLAN);
        TaskView failed = run(ws, labels, TaskStatus.FAILED);
        TaskView canceled = queue(ws, labels, TaskAction.PLAN);
        server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, canceled.taskId()), new CancelRequest(false), TaskView.class);
        queue(ws, labels, TaskAction.PLAN_APPLY);
        TaskView planned = run(ws, labels, TaskStatus.PLANNED);
        assertThat(planned.status()).isEqualTo(TaskStatus.PLANNED);
        server.admin()
                .post(
                        ApiPaths.fill(ApiPaths.TASK_DISCARD, planned.taskId()),
                        new ReviewRequest("not now"),
                        TaskView.class);

        await().atMost(Duration.ofSeconds(20)).until(() -> receivedFor(ws).size() >= 3);
        server.server().notifications().deliverDue();
        List<Receiver.Request> got = receivedFor(ws);
        assertThat(got)
                .as("succeeded, failed and planned; not canceled nor discarded")
                .hasSize(3);
        for (Receiver.Request r : got) {
            assertThat(r.header(NotificationEvent.SIGNATURE_HEADER))
                    .isEqualTo(expectedSignature(SECRET, r.header(NotificationEvent.TIMESTAMP_HEADER), r.body()));
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            JsonNode body = WireJson.lenient().readTree(r.body());
            assertThat(body.get("delivery_id").asText()).isEqualTo(r.header(NotificationEvent.DELIVERY_HEADER));
            assertThat(body.get("event").asText()).isEqualTo(r.header(NotificationEvent.EVENT_HEADER));
            assertThat(body.get("status").asText()).isEqualTo(body.get("event").asText());
            assertThat(Instant.ofEpochSecond(Long.parseLong(r.header(NotificationEvent.TIMESTAMP_HEADER))))
                    .isCloseTo(
                            server.clock().instant(),
                            org.assertj.core.api.Assertions.within(60, java.time.temporal.ChronoUnit.SECONDS));
        }
        assertThat(got.stream()
                        .map(r -> r.header(NotificationEvent.EVENT_HEADER))
                        .sorted()
                        .toList())
                .containsExactly("failed", "planned", "succeeded");
        assertThat(got.stream().map(Receiver.Request::body))
                .anySatisfy(b -> assertThat(b).contains(succeeded.taskId()).contains("\"event\":\"succeeded\""))
                .anySatisfy(b -> assertThat(b).contains(failed.taskId()).contains("\"exit_code\":1"))
                .anySatisfy(b -> assertThat(b)
                        .contains(planned.taskId())
                        .contains("\"needs_confirmation\":true")
                        .contains("terraform_data.x"));

        List<DeliveryView> log = deliveries(ws);
        assertThat(log).hasSize(3).allSatisfy(d -> {
            assertThat(d.status()).isEqualTo("delivered");
            assertThat(d.attempts()).isEqualTo(1);
            assertThat(d.lastStatusCode()).isEqualTo(200);
            assertThat(d.destinationId()).isEqualTo(created.destination().destinationId());
        });
        assertThat(server.metrics().value("iac_notification_deliveries_total{result=\"delivered\"}"))
                .isGreaterThanOrEqualTo(3);
    }

    @Test
    void aReceiverAnswering500IsRetriedWithBackoffUnderTheSameDeliveryId() {
        String ws = fresh("retry");
        Map<String, String> labels = server.ownPool("pool-" + ws);
        Receiver failing = Receiver.start();
        try {
            failing.answer(500);
            add(ws, failing.url("/"), List.of("canceled"), null);
            TaskView task = queue(ws, labels, TaskAction.PLAN);
            server.admin()
                    .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, task.taskId()), new CancelRequest(false), TaskView.class);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(ws).getFirst().attempts() == 1);
            DeliveryView first = deliveries(ws).getFirst();
            assertThat(first.status()).isEqualTo("pending");
            assertThat(first.lastStatusCode()).isEqualTo(500);
            assertThat(first.lastError()).isEqualTo("HTTP 500");
            assertThat(Duration.between(server.clock().instant(), first.nextAttemptAt()))
                    .isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10));

            failing.answer(500);
            server.clock().advance(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(ws).getFirst().attempts() == 2);
            DeliveryView second = deliveries(ws).getFirst();
            assertThat(Duration.between(server.clock().instant(), second.nextAttemptAt()))
                    .as("the second retry waits twice as long")
                    .isBetween(Duration.ofSeconds(15), Duration.ofSeconds(20));

            failing.answer(204);
            server.clock().advance(Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(ws).getFirst().status().equals("delivered"));
            server.server().notifications().deliverDue();
            assertThat(failing.requests()).hasSize(3);
            assertThat(failing.requests().stream()
                            .map(r -> r.header(NotificationEvent.DELIVERY_HEADER))
                            .distinct())
                    .as("every retry carries the same delivery id")
                    .containsExactly(first.deliveryId());
            assertThat(deliveries(ws).getFirst().attempts()).isEqualTo(3);
            assertThat(deliveries(ws).getFirst().lastStatusCode()).isEqualTo(204);
            assertThat(server.metrics().value("iac_notification_deliveries_total{result=\"failed\"}"))
                    .isGreaterThanOrEqualTo(2);
        } finally {
            failing.close();
        }
    }

    @Test
    void aReceiverThatDoesNotAnswerWithinTenSecondsIsAFailedAttemptAndTheTaskIsNotHeldBack() {
        String ws = fresh("slow");
        Map<String, String> labels = server.ownPool("pool-" + ws);
        Receiver slow = Receiver.start();
        try {
            slow.delay(Duration.ofSeconds(15));
            add(ws, slow.url("/"), List.of("canceled"), null);
            TaskView task = queue(ws, labels, TaskAction.PLAN);
            long before = System.nanoTime();
            TaskView canceled = server.admin()
                    .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, task.taskId()), new CancelRequest(false), TaskView.class);
            assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
            assertThat(Duration.ofNanos(System.nanoTime() - before))
                    .as("the status change does not wait for the receiver")
                    .isLessThan(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> deliveries(ws).getFirst().attempts() == 1);
            DeliveryView timedOut = deliveries(ws).getFirst();
            assertThat(timedOut.status()).isEqualTo("pending");
            assertThat(timedOut.lastError()).isEqualTo("no answer within 10 s");
            assertThat(timedOut.lastStatusCode()).isNull();
            assertThat(slow.requests()).hasSize(1);
        } finally {
            // Its delivery is still pending: removing the destination drops it, so no later test meets it.
            for (var d : server.admin()
                    .get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws), NotificationList.class)
                    .destinations()) {
                server.admin().delete(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION, ws, d.destinationId()));
            }
            assertThat(deliveries(ws)).as("removed with its destination").isEmpty();
            slow.close();
        }
    }

    @Test
    void aDeliveryStillRefusedAnHourAfterItsEventIsGivenUpAndCounted() {
        String ws = fresh("give-up");
        Map<String, String> labels = server.ownPool("pool-" + ws);
        Receiver failing = Receiver.start();
        try {
            failing.answer(503);
            add(ws, failing.url("/"), List.of("canceled"), null);
            TaskView task = queue(ws, labels, TaskAction.PLAN);
            server.admin()
                    .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, task.taskId()), new CancelRequest(false), TaskView.class);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(ws).getFirst().attempts() == 1);
            double before =
                    server.metrics().find("iac_notification_given_up_total").orElse(0.0);

            server.clock().advance(Duration.ofMinutes(61));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(ws).getFirst().status().equals("failed"));
            DeliveryView failed = deliveries(ws).getFirst();
            assertThat(failed.attempts()).isEqualTo(2);
            assertThat(failed.lastError()).isEqualTo("HTTP 503");
            assertThat(failed.nextAttemptAt()).as("nothing is due any more").isNull();
            assertThat(server.metrics().value("iac_notification_given_up_total"))
                    .isEqualTo(before + 1);

            server.clock().advance(Duration.ofMinutes(30));
            server.server().notifications().deliverDue();
            assertThat(failing.requests()).as("never tried again").hasSize(2);
            assertThat(server.metrics().has("iac_notification_outbox_pending")).isTrue();
        } finally {
            failing.close();
        }
    }

    @Test
    void retriesBackOffFromTenSecondsToTenMinutesAndStopAnHourAfterTheEvent() {
        Instant event = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(Deliverer.retryIn(1, event, event)).isEqualTo(Duration.ofSeconds(10));
        assertThat(Deliverer.retryIn(2, event, event)).isEqualTo(Duration.ofSeconds(20));
        assertThat(Deliverer.retryIn(7, event, event)).isEqualTo(Duration.ofMinutes(10));
        assertThat(Deliverer.retryIn(40, event, event)).isEqualTo(Duration.ofMinutes(10));
        assertThat(Deliverer.retryIn(9, event, event.plus(Duration.ofMinutes(50))))
                .isEqualTo(Duration.ofMinutes(10));
        assertThat(Deliverer.retryIn(9, event, event.plus(Duration.ofMinutes(51))))
                .as("a retry past the hour is not made")
                .isNull();
    }

    @Test
    void badDestinationsAreRefusedPreciselyAndChangeNothing() {
        String ws = fresh("refused");
        add(ws, receiver.url("/kept"), List.of("failed"), null);
        String url = receiver.url("/");
        List<String> events = List.of("failed");
        assertRefused(() -> add(ws, "http://10.1.2.3/hook", events, null), 400, "notify_address_refused");
        assertRefused(
                () -> add(ws, "http://169.254.169.254/latest/meta-data", events, null), 400, "notify_address_refused");
        assertRefused(() -> add(ws, "http://[::1]:8080/", events, null), 400, "notify_address_refused");
        assertRefused(() -> add(ws, "http://192.168.1.1/", events, null), 400, "notify_address_refused");
        assertRefused(() -> add(ws, "http://no-such-host.invalid/", events, null), 400, "notify_address_refused");
        assertRefused(() -> add(ws, "ftp://127.0.0.1/x", events, null), 400, "invalid_url");
        assertRefused(() -> add(ws, "http://user:pw@127.0.0.1/x", events, null), 400, "invalid_url");
        assertRefused(() -> add(ws, "http:///nohost", events, null), 400, "invalid_url");
        assertRefused(() -> add(ws, "http://127.0.0.1/a b", events, null), 400, "invalid_url");
        assertRefused(() -> add(ws, null, events, null), 400, "invalid_url");
        assertRefused(() -> add(ws, url, List.of(), null), 400, "invalid_events");
        assertRefused(() -> add(ws, url, List.of("failed", "exploded"), null), 400, "invalid_events");
        assertRefused(() -> add(ws, url, List.of("failed", "failed"), null), 400, "invalid_events");
        assertRefused(() -> add(ws, url, events, "short"), 400, "invalid_secret");
        assertRefused(
                () -> server.admin()
                        .post(
                                ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws),
                                Map.of("url", url, "events", events, "colour", "red"),
                                NotificationCreated.class),
                400,
                "unknown_field");
        assertRefused(
                () -> server.admin().delete(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION, ws, "n-nope")),
                404,
                "notification_not_found");
        assertRefused(
                () -> server.admin()
                        .get(
                                ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION_DELIVERIES, ws) + "?limit=0",
                                DeliveryList.class),
                400,
                "invalid_limit");
        ApiClient applier = server.withToken(server.userToken(Role.APPLY, ws));
        assertRefused(
                () -> applier.post(
                        ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws),
                        new CreateNotificationRequest(url, events, null),
                        NotificationCreated.class),
                403,
                "forbidden");
        assertRefused(
                () -> applier.get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws), NotificationList.class),
                403,
                "forbidden");

        NotificationList list =
                server.admin().get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws), NotificationList.class);
        assertThat(list.destinations())
                .hasSize(1)
                .first()
                .satisfies(d -> assertThat(d.url()).endsWith("/kept"));
    }

    @Test
    void aWorkspaceHoldsAtMostTwentyDestinationsAndARemovedOneGetsNothing() {
        String ws = fresh("many");
        Map<String, String> labels = server.ownPool("pool-" + ws);
        for (int i = 0; i < NotificationService.MAX_PER_WORKSPACE; i++) {
            add(ws, receiver.url("/many/" + i), List.of("canceled"), null);
        }
        assertRefused(
                () -> add(ws, receiver.url("/one-too-many"), List.of("canceled"), null), 409, "too_many_notifications");
        NotificationList list =
                server.admin().get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws), NotificationList.class);
        for (var d : list.destinations().subList(1, list.destinations().size())) {
            server.admin().delete(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION, ws, d.destinationId()));
        }
        TaskView task = queue(ws, labels, TaskAction.PLAN);
        server.admin()
                .post(ApiPaths.fill(ApiPaths.TASK_CANCEL, task.taskId()), new CancelRequest(false), TaskView.class);
        await().atMost(Duration.ofSeconds(20)).until(() -> receivedFor(ws).size() >= 1);
        server.server().notifications().deliverDue();
        assertThat(receivedFor(ws))
                .hasSize(1)
                .first()
                .satisfies(r -> assertThat(r.body()).contains(task.taskId()));
        assertThat(deliveries(ws))
                .singleElement()
                .satisfies(d -> assertThat(d.destinationId())
                        .isEqualTo(list.destinations().getFirst().destinationId()));
    }
}
