package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolCommandTest {
    static final String BUILD_POOL = """
            {"pool_id":"build","max_plan_concurrency":4,"allow_apply_concurrent":true,"labels":{"region":"idc1","tier":"prod"},
             "max_run_time":"2h","min_agent_version":"1.4.0","max_running":10}""";
    static final String TOKEN = "{\"pool_id\":\"build\",\"token\":\"pool-token-for-build\"}";

    @TempDir
    Path dir;

    FakeApi api;
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() throws Exception {
        api = new FakeApi()
                .on("PUT", "/api/v1/pools/build", r -> FakeApi.Reply.ok(r.body()))
                .on("POST", "/api/v1/pools/build/tokens", new FakeApi.Reply(201, TOKEN));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void createPutsThePoolThenIssuesATokenAndPrintsItAlone() throws Exception {
        CliRun run = CliRun.run(dir, "pool", "create", "build", "--server", api.url());

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("pool-token-for-build\n");
        assertThat(api.requests)
                .extracting(FakeApi.Request::method, FakeApi.Request::path)
                .containsExactly(tuple("PUT", "/api/v1/pools/build"), tuple("POST", "/api/v1/pools/build/tokens"));
        JsonNode pool = json.readTree(api.requests.get(0).body());
        assertThat(pool.path("pool_id").asText()).isEqualTo("build");
        assertThat(pool.path("max_plan_concurrency").asInt()).isEqualTo(3);
        assertThat(pool.path("allow_apply_concurrent").asBoolean()).isFalse();
        assertThat(pool.path("labels").isObject()).isTrue();
        assertThat(pool.path("labels").isEmpty()).isTrue();
        assertThat(pool.path("max_run_time").asText()).as("the default").isEqualTo("2h");
        assertThat(api.requests.get(1).body()).isEqualTo("{}");
    }

    @Test
    void createSendsTheMaxRunTimeInItsShortestSpellingAndRefusesAnythingElseBeforeSending() throws Exception {
        CliRun run = CliRun.run(dir, "pool", "create", "build", "--max-run-time", "90m", "--server", api.url());
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(json.readTree(api.requests.get(0).body())
                        .path("max_run_time")
                        .asText())
                .isEqualTo("1h30m");

        api.requests.clear();
        for (String bad : List.of("2 hours", "1d", "0s", "")) {
            CliRun refused = CliRun.run(dir, "pool", "create", "build", "--max-run-time", bad, "--server", api.url());
            assertThat(refused.exit()).as(bad).isEqualTo(2);
            assertThat(refused.err()).as(bad).startsWith("error: --max-run-time: '" + bad + "'");
        }
        assertThat(api.requests).isEmpty();
    }

    @Test
    void createSendsLimitsAndLabelsAsGiven() throws Exception {
        CliRun run = CliRun.run(
                dir,
                "pool",
                "create",
                "build",
                "--max-plans",
                "4",
                "--allow-apply-concurrent",
                "--label",
                "region=idc1",
                "--label",
                "tier=prod",
                "--min-agent-version",
                "1.4.0",
                "--max-running",
                "10",
                "--server",
                api.url());

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(json.readTree(api.requests.get(0).body())).isEqualTo(json.readTree(BUILD_POOL));
    }

    @Test
    void createWritesTheTokenToAnOwnerOnlyFileAndPrintsItsPath() throws Exception {
        Path existing = Files.writeString(dir.resolve("build.token"), "old token\n");
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r--r--"));

        CliRun run = CliRun.run(dir, "pool", "create", "build", "--token-out", "build.token", "--server", api.url());

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo(dir.resolve("build.token") + "\n");
        assertThat(Files.readString(existing)).isEqualTo("pool-token-for-build\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)))
                .isEqualTo("rw-------");
        try (var left = Files.list(dir)) {
            assertThat(left).as("no temp file left behind").containsExactly(existing);
        }
    }

    @Test
    void aTokenFileInAMissingDirectoryIsAUsageErrorBeforeAnythingIsSent() {
        CliRun run =
                CliRun.run(dir, "pool", "create", "build", "--token-out", "nope/build.token", "--server", api.url());

        assertThat(run.exit()).as(run.toString()).isEqualTo(2);
        assertThat(run.err()).contains("--token-out").contains("does not exist");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void badLabelsAndLimitsAreUsageErrorsNamingTheOption() {
        for (List<String> args : List.of(
                List.of("--label", "region"),
                List.of("--label", "=idc1"),
                List.of("--label", "a=1", "--label", "a=2"))) {
            CliRun run = CliRun.run(dir, concat(List.of("pool", "create", "build", "--server", api.url()), args));
            assertThat(run.exit()).as(args + "\n" + run).isEqualTo(2);
            assertThat(run.err()).as(args.toString()).startsWith("error: --label");
        }
        CliRun zero = CliRun.run(dir, "pool", "create", "build", "--max-plans", "0", "--server", api.url());
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--max-plans");
        CliRun missing = CliRun.run(dir, "pool", "create", "--server", api.url());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("POOL");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void aRefusedTokenIsTheServersErrorWithExitFour() {
        api.on(
                "POST",
                "/api/v1/pools/build/tokens",
                FakeApi.Reply.error(404, "no_such_pool", "pool build does not exist"));
        CliRun run = CliRun.run(dir, "pool", "create", "build", "--server", api.url());
        assertThat(run.exit()).isEqualTo(4);
        assertThat(run.err()).startsWith("error: no_such_pool: pool build does not exist");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void showPrintsTheSettingsAsTextOrJson() throws Exception {
        api.on("GET", "/api/v1/pools/build", FakeApi.Reply.ok(BUILD_POOL));

        CliRun text = CliRun.run(dir, "pool", "show", "build", "--server", api.url());
        assertThat(text.exit()).as(text.toString()).isZero();
        assertThat(text.out())
                .containsPattern("(?m)^pool_id: +build$")
                .containsPattern("(?m)^max_plan_concurrency: +4$")
                .containsPattern("(?m)^allow_apply_concurrent: +true$")
                .containsPattern("(?m)^labels: +region=idc1,tier=prod$")
                .containsPattern("(?m)^max_run_time: +2h$")
                .containsPattern("(?m)^min_agent_version: +1.4.0$")
                .containsPattern("(?m)^max_running: +10$");

        CliRun asJson = CliRun.run(dir, "pool", "show", "build", "--json", "--server", api.url());
        assertThat(json.readTree(asJson.out())).isEqualTo(json.readTree(BUILD_POOL));
    }

    @Test
    void listPrintsATableOrParseableJson() throws Exception {
        api.on(
                "GET",
                "/api/v1/pools",
                FakeApi.Reply.ok("{\"pools\":[" + BUILD_POOL
                        + ",{\"pool_id\":\"default-pool\",\"max_plan_concurrency\":3,\"allow_apply_concurrent\":false,\"labels\":{},"
                        + "\"max_run_time\":\"30m\",\"min_agent_version\":null,\"max_running\":null}]}"));

        CliRun text = CliRun.run(dir, "pool", "list", "--server", api.url());
        assertThat(text.exit()).as(text.toString()).isZero();
        List<String> lines = text.out().lines().toList();
        assertThat(lines.get(0))
                .matches("ID +MAX_PLANS +APPLY_CONCURRENT +MAX_RUN_TIME +MAX_RUNNING +MIN_AGENT_VERSION +LABELS");
        assertThat(lines.get(1)).matches("build +4 +true +2h +10 +1.4.0 +region=idc1,tier=prod");
        assertThat(lines.get(2)).matches("default-pool +3 +false +30m +- +- +-");

        CliRun asJson = CliRun.run(dir, "pool", "list", "--json", "--server", api.url());
        JsonNode pools = json.readTree(asJson.out()).path("pools");
        assertThat(pools).hasSize(2);
        assertThat(pools.get(1).path("pool_id").asText()).isEqualTo("default-pool");
    }

    private static String[] concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
