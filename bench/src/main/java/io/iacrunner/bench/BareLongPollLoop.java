package io.iacrunner.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The least an idle agent could be: the JDK's HttpClient registering with a pool token, then long-polling for tasks
 * and pinging, with JSON written and read as strings (no Jackson, no framework, no logging). What {@code bench/run
 * agent-footprint} measures the real agent's memory against; run as a process of its own:
 * {@code BareLongPollLoop SERVER_URL POOL_TOKEN_FILE}.
 */
final class BareLongPollLoop {
    private BareLongPollLoop() {}

    public static void main(String[] args) throws Exception {
        URI server = URI.create(args[0]);
        String poolToken = Files.readString(Path.of(args[1])).trim();
        HttpClient http = HttpClient.newHttpClient();
        String registered = post(
                http,
                server.resolve("/api/v1/agents/register"),
                poolToken,
                "{\"name\":\"bare-loop\",\"version\":\"0.0.0\",\"hostname\":\"bare-loop\"}");
        String agentId = field(registered, "agent_id");
        String agentToken = field(registered, "agent_token");
        int pingSeconds = Integer.parseInt(field(registered, "ping_interval_seconds"));
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    post(
                            http,
                            server.resolve("/api/v1/agents/ping"),
                            agentToken,
                            "{\"agent_id\":\"" + agentId + "\",\"busy\":false,\"plan_tasks_running\":0,"
                                    + "\"plan_task_limit\":3,\"apply_task_running\":false,\"current_tasks\":[],"
                                    + "\"cpu_usage\":0,\"mem_usage\":0,\"version\":\"0.0.0\"}");
                    Thread.sleep(pingSeconds * 1000L);
                } catch (Exception e) {
                    return;
                }
            }
        });
        while (true) {
            post(
                    http,
                    server.resolve("/api/v1/tasks/pull"),
                    agentToken,
                    "{\"agent_id\":\"" + agentId
                            + "\",\"free_plan_slots\":3,\"can_take_apply\":true,\"wait_seconds\":30}");
        }
    }

    private static String post(HttpClient http, URI uri, String token, String json) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri)
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2)
            throw new IllegalStateException(uri + " answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    /** A top-level string or number field of a JSON object, by name: enough for the two replies read here. */
    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"?([^\",}]*)").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
        return m.group(1);
    }
}
