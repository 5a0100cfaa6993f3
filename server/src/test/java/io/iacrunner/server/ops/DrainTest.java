package io.iacrunner.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiException;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.web.HttpApi;
import io.javalin.Javalin;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The drain on a real HTTP server: requests in flight finish, new ones are refused with a 503 agents understand. */
class DrainTest {
    private final Drain drain = new Drain(Set.of("/probe"));
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private Javalin http;
    private ApiClient client;

    @BeforeEach
    void start() {
        http = Javalin.create(config -> {
                    config.routes.before(drain::enter);
                    config.routes.after(drain::exit);
                    config.routes.get("/slow", ctx -> {
                        entered.countDown();
                        release.await();
                        ctx.result("done");
                    });
                    config.routes.get("/fast", ctx -> ctx.result("fast"));
                    config.routes.get("/probe", ctx -> ctx.result("probed"));
                    config.routes.exception(
                            ApiProblem.class, (e, ctx) -> HttpApi.render(ctx, e.status(), e.code(), e.getMessage()));
                })
                .start("127.0.0.1", 0);
        client = new ApiClient(URI.create("http://127.0.0.1:" + http.port()), () -> null);
    }

    @AfterEach
    void stop() {
        http.stop();
    }

    @Test
    void aRequestInFlightFinishesWhileNewOnesAreRefusedWith503() throws Exception {
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> client.getText("/slow"));
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

        drain.begin();
        assertThat(drain.awaitIdle(Duration.ofMillis(200)))
                .as("idle while /slow runs")
                .isFalse();
        try {
            client.getText("/fast");
            throw new AssertionError("a new request was served while draining");
        } catch (ApiException refused) {
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.code()).isEqualTo("server_shutting_down");
            assertThat(refused.isTransient())
                    .as("agents retry it, on their next server")
                    .isTrue();
        }
        assertThat(client.getText("/probe")).as("probes are still answered").isEqualTo("probed");

        release.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(drain.awaitIdle(Duration.ofSeconds(10))).isTrue();
    }
}
