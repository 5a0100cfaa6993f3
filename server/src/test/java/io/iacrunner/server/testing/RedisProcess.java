package io.iacrunner.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A redis-server of the test's own on a free port, that the test may kill and start again (the machine's shared
 * Redis must never be stopped). Nothing is persisted: a restart comes back empty, as a lost Redis would.
 */
public final class RedisProcess implements AutoCloseable {
    private final int port;
    private final Path log;
    private Process process;

    private RedisProcess(int port, Path log) {
        this.port = port;
        this.log = log;
    }

    /** Starts one, or skips (fails in CI) when redis-server is not installed. */
    public static RedisProcess start(Path dir) throws IOException {
        Path binary = List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server").stream()
                .map(Path::of)
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
        if (binary == null) ExternalServices.unavailable("redis-server (to start a Redis this test may stop)");
        RedisProcess redis = new RedisProcess(ServerProcess.freePort(), dir.resolve("redis.log"));
        redis.start();
        return redis;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public void start() throws IOException {
        process = new ProcessBuilder(
                        "redis-server",
                        "--port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        Awaitility.await("redis-server on port " + port)
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) throw new AssertionError("redis-server exited: " + Files.readString(log));
                    return ExternalServices.answersPing("127.0.0.1", port);
                });
    }

    /** SIGKILL: Redis is gone at once, as in a crash. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) kill();
    }
}
