package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.iacrunner.agent.Agent;
import io.iacrunner.cli.ExitCodes;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.util.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Notifications through the CLI with real Terraform: {@code notify add} with a secret file, a plan_apply that waits
 * ({@code planned} arrives) and is confirmed ({@code succeeded} arrives), each signed as documented and each once; the
 * delivery log shows both delivered; a destination on a private address is refused at creation.
 */
class NotificationsEndToEndTest {
    @TempDir
    static Path dir;

    static E2eHarness system;
    static HttpServer receiver;
    static final List<Map.Entry<Map<String, String>, String>> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, c -> c.autoApplyDefault(false).notifyAllow(Cidr.parseList("127.0.0.0/8")));
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, v.getFirst()));
            received.add(Map.entry(headers, body));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    static void stop() {
        receiver.stop(0);
        system.close();
    }

    String cliOk(String... args) {
        E2eHarness.CliResult r = system.cli(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out().trim();
    }

    static String hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aReviewedRunNotifiesPlannedThenSucceededSignedAndTheLogShowsBothDelivered() throws Exception {
        String ws = "notify-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = "e2e-secret-" + UUID.randomUUID();
        Path secretFile = system.file("hook.secret", secret + "\n");
        String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks/iac";
        String destination = cliOk(
                "notify",
                "add",
                ws,
                "--url",
                url,
                "--events",
                "planned,succeeded",
                "--secret-file",
                secretFile.toString());
        assertThat(destination).startsWith("n-").doesNotContain(secret);
        assertThat(cliOk("notify", "list", ws))
                .contains(destination)
                .contains(url)
                .contains("planned,succeeded");

        E2eHarness.CliResult refused =
                system.cli("notify", "add", ws, "--url", "http://10.0.0.8/x", "--events", "failed");
        assertThat(refused.exit()).isEqualTo(ExitCodes.API_ERROR);
        assertThat(refused.err()).contains("notify_address_refused").contains("10.0.0.8");

        Agent agent = system.startAgent("notify");
        Path config =
                system.file("notify.tf.json", "{\"resource\":{\"terraform_data\":{\"x\":{\"input\":\"" + ws + "\"}}}}");
        String taskId =
                cliOk("task", "create", "--workspace", ws, "--action", "plan_apply", "--config", config.toString());
        assertThat(system.cli("logs", taskId, "--follow").exit()).isEqualTo(ExitCodes.AWAITING_CONFIRMATION);
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 1);
        assertThat(cliOk("task", "confirm", taskId)).isEqualTo("queued");
        assertThat(system.cli("logs", taskId, "--follow").exit()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 2);
        system.server.server().notifications().deliverDue();

        assertThat(received).hasSize(2);
        assertThat(received.stream().map(r -> r.getValue()).toList())
                .allSatisfy(body -> assertThat(body).contains(taskId))
                .noneSatisfy(body -> assertThat(body).contains(secret));
        assertThat(received.stream().map(r -> r.getKey().get("X-Iac-Event")).toList())
                .containsExactly("planned", "succeeded");
        for (var r : received) {
            Map<String, String> h = r.getKey();
            assertThat(h.get("X-Iac-Signature-256"))
                    .isEqualTo(hmac(secret, h.get("X-Iac-Timestamp") + "." + r.getValue()));
            JsonNode body = WireJson.lenient().readTree(r.getValue());
            assertThat(body.path("delivery_id").asText()).isEqualTo(h.get("X-Iac-Delivery"));
        }
        JsonNode planned = WireJson.lenient().readTree(received.getFirst().getValue());
        assertThat(planned.path("plan_summary").path("add").toString()).contains("terraform_data.x");

        String log = cliOk("notify", "deliveries", ws, "--task", taskId);
        assertThat(log.lines().filter(l -> l.contains("delivered"))).hasSize(2);
        assertThat(cliOk("notify", "remove", ws, destination)).contains("removed");
        assertThat(cliOk("notify", "list", ws)).doesNotContain(destination);
        agent.close();
    }
}
