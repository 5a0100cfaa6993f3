package io.iacrunner.server.notifications;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CancelRequest;
import io.iacrunner.protocol.CreateNotificationRequest;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.DeliveryList;
import io.iacrunner.protocol.DeliveryView;
import io.iacrunner.protocol.NotificationCreated;
import io.iacrunner.protocol.NotificationEvent;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.server.IacServer;
import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.testing.SteppedClock;
import io.iacrunner.server.util.Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox outlives the server: an event whose receiver is down stays pending through a restart of the server (same
 * data dir, same store), and the restarted server delivers it once the receiver is back, under its first delivery id.
 */
class NotificationRestartTest {
    @TempDir
    Path dir;

    @Test
    void anEventWhoseReceiverIsDownSurvivesAServerRestartAndIsDeliveredOnceItIsBack() throws Exception {
        SteppedClock clock = new SteppedClock();
        ServerConfig config = ServerConfig.builder()
                .port(0)
                .dataDir(dir)
                .pingInterval(Duration.ofSeconds(60))
                .notifyAllow(Cidr.parseList("127.0.0.0/8"))
                .build();
        Receiver receiver = Receiver.start();
        receiver.stop(); // down from the start: every attempt meets a refused connection
        String ws = "ws-restart";
        String deliveryId;
        String taskId;
        try (IacServer first = IacServer.start(config, reason -> {}, clock)) {
            ApiClient admin = admin(first);
            admin.post(
                    ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, ws),
                    new CreateNotificationRequest(receiver.url("/hook"), List.of("canceled"), null),
                    NotificationCreated.class);
            // A pool no agent registers into: the task is accepted (not no_pool_can_run) and stays queued.
            admin.put(
                    ApiPaths.fill(ApiPaths.POOL, "parking"),
                    new io.iacrunner.protocol.PoolConfig("parking", 1, false, Map.of("nobody", "has")),
                    io.iacrunner.protocol.PoolConfig.class);
            ObjectNode tf = JsonNodeFactory.instance.objectNode();
            tf.putObject("resource").putObject("terraform_data").putObject("x");
            TaskView task = admin.post(
                    ApiPaths.TASKS,
                    new CreateTaskRequest(ws, TaskAction.PLAN, tf, null, null, Map.of("nobody", "has"), null, null),
                    TaskView.class);
            taskId = task.taskId();
            admin.post(ApiPaths.fill(ApiPaths.TASK_CANCEL, taskId), new CancelRequest(false), TaskView.class);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(admin, ws).getFirst().attempts() >= 1);
            DeliveryView pending = deliveries(admin, ws).getFirst();
            assertThat(pending.status()).isEqualTo("pending");
            assertThat(pending.lastError()).isEqualTo("connection failed (refused or unreachable)");
            deliveryId = pending.deliveryId();
        }

        clock.advance(Duration.ofSeconds(30)); // the receiver stays down 30 s, the server is down in between
        receiver.restart();
        try (IacServer second = IacServer.start(config, reason -> {}, clock)) {
            ApiClient admin = admin(second);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> deliveries(admin, ws).getFirst().status().equals("delivered"));
            second.notifications().deliverDue();
            assertThat(receiver.requests()).singleElement().satisfies(r -> {
                assertThat(r.header(NotificationEvent.DELIVERY_HEADER)).isEqualTo(deliveryId);
                assertThat(r.body()).contains(taskId).contains("\"event\":\"canceled\"");
            });
            assertThat(deliveries(admin, ws)).singleElement().satisfies(d -> {
                assertThat(d.deliveryId()).isEqualTo(deliveryId);
                assertThat(d.attempts()).isGreaterThanOrEqualTo(2);
                assertThat(d.deliveredAt()).isNotNull();
            });
        } finally {
            receiver.close();
        }
    }

    private static ApiClient admin(IacServer server) throws Exception {
        String token = Files.readString(server.adminTokenFile()).trim();
        return new ApiClient(server.baseUrl(), () -> token);
    }

    private static List<DeliveryView> deliveries(ApiClient admin, String ws) {
        return admin.get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION_DELIVERIES, ws), DeliveryList.class)
                .deliveries();
    }
}
