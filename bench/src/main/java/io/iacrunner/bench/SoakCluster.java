package io.iacrunner.bench;

import io.iacrunner.server.testing.CuttingProxy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The installation the soak runs against, every part a process of its own that the chaos schedule may kill: a
 * database of the run's own on the machine's PostgreSQL (dropped at the end), a redis-server on a port of its own
 * (the machine's shared Redis must never be stopped), two {@code ./iac server} replicas on fixed ports, a
 * {@link CuttingProxy} in front of both for every agent, and real {@code ./iac agent} processes.
 */
final class SoakCluster implements AutoCloseable {
    static final String PG_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
    static final String PG_USER = "postgres";
    static final Duration PING = Duration.ofSeconds(5);
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration LOST_APPLY_WINDOW = Duration.ofSeconds(60);

    private static final Pattern CLAIM = Pattern.compile("task (\\S+) attempt (\\d+): starting");
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)");
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    final Path root;
    final Path dir;
    final String database;
    final String jdbcUrl;
    private final Path secretsKey;
    private final int redisPort;
    private final int[] ports = new int[2];
    private final Process[] replicas = new Process[2];
    private final List<Process> agents = new ArrayList<>();
    private final List<ProcessHandle> orphans = new ArrayList<>();
    private final Consumer<SoakInvariants.Claim> claims;
    private Process redis;
    CuttingProxy proxy;

    /** {@code root}: the repository ({@code ./iac}); {@code claims}: told of every attempt a real agent starts. */
    SoakCluster(Path root, Path dir, Consumer<SoakInvariants.Claim> claims) throws Exception {
        this.root = root;
        this.dir = dir;
        this.claims = claims;
        this.database =
                "iac_soak_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        this.jdbcUrl = PG_ADMIN_URL.replace("/postgres", "/" + database);
        adminSql("create database " + database);
        this.secretsKey = Files.writeString(
                Files.createFile(
                        dir.resolve("secrets.key"),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(32)));
        this.redisPort = freePort();
        this.ports[0] = freePort();
        this.ports[1] = freePort();
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, PG_USER, null);
    }

    private static void adminSql(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, PG_USER, null);
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * Builds the CLI if needed ({@code ./iac --version}), then starts Redis, replica A, replica B and the proxy. Every
     * process is then started as {@code ./iac} starts it, but without the launcher: it would rebuild in the middle of
     * the run whenever a source file is newer than the jar.
     */
    void start() throws Exception {
        run(List.of(root.resolve("iac").toString(), "--version"), dir.resolve("build.log"));
        startRedis();
        startReplica(0);
        startReplica(1);
        proxy = new CuttingProxy(ports[0], ports[1]);
    }

    /** The command {@code ./iac ARGS} runs once built: this JDK, the CLI's jar and libraries. */
    private List<String> cli(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(root.resolve("cli/target/iac-cli.jar") + ":" + root.resolve("cli/target/lib") + "/*");
        command.add("io.iacrunner.cli.Main");
        command.addAll(List.of(args));
        return command;
    }

    URI replicaUrl(int i) {
        return URI.create("http://127.0.0.1:" + ports[i]);
    }

    Path dataDir(int i) {
        return dir.resolve("replica-" + (char) ('a' + i));
    }

    long replicaPid(int i) {
        return replicas[i].pid();
    }

    void startRedis() throws Exception {
        redis = new ProcessBuilder(
                        "redis-server",
                        "--port",
                        Integer.toString(redisPort),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("redis.log").toFile()))
                .start();
        awaitTrue("redis-server on port " + redisPort, Duration.ofSeconds(20), this::redisAnswers);
    }

    void killRedis() throws InterruptedException {
        redis.destroyForcibly();
        redis.waitFor(20, TimeUnit.SECONDS);
    }

    private boolean redisAnswers() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", redisPort), 1_000);
            s.setSoTimeout(1_000);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII).equals("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code ./iac server} on the replica's fixed port, as an operator runs a replica; waits for /readyz. */
    void startReplica(int i) throws Exception {
        Path data = Files.createDirectories(dataDir(i));
        List<String> command = cli(
                List.of(),
                "server",
                "--data-dir",
                data.toString(),
                "--port",
                Integer.toString(ports[i]),
                "--database-url",
                jdbcUrl,
                "--database-user",
                PG_USER,
                // 200 simulated agents pull through two replicas; the machine's PostgreSQL serves other work too.
                "--database-pool-size",
                "12",
                "--redis-url",
                "redis://127.0.0.1:" + redisPort,
                "--redis-prefix",
                database,
                "--secrets-key-file",
                secretsKey.toString(),
                "--ping-interval",
                Long.toString(PING.toSeconds()),
                "--agent-lease",
                Long.toString(LEASE.toSeconds()),
                "--lost-apply-window",
                Long.toString(LOST_APPLY_WINDOW.toSeconds()),
                "--auto-apply-default",
                "true",
                // 200 agents register at once.
                "--credential-requests-per-minute",
                "100000");
        replicas[i] = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("replica-" + (char) ('a' + i) + ".log").toFile()))
                .start();
        Process p = replicas[i];
        awaitTrue("replica " + i + " ready", Duration.ofSeconds(180), () -> {
            if (!p.isAlive()) throw new IllegalStateException("replica exited; see " + dir);
            return ready(replicaUrl(i));
        });
    }

    /** SIGKILL: no drain, no goodbye. */
    void killReplica(int i) throws InterruptedException {
        replicas[i].destroyForcibly();
        replicas[i].waitFor(30, TimeUnit.SECONDS);
    }

    private static boolean ready(URI base) {
        try {
            HttpURLConnection c =
                    (HttpURLConnection) base.resolve("/readyz").toURL().openConnection();
            c.setConnectTimeout(1_000);
            c.setReadTimeout(2_000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A real {@code ./iac agent} through the proxy, running real Terraform. Its output goes to its log, and every
     * attempt it starts ({@code task … attempt …: starting}) to the claims.
     */
    void startAgent(int i) throws IOException {
        Path work = Files.createDirectories(dir.resolve("agent-" + i));
        Process p = new ProcessBuilder(cli(
                        FootprintBench.AGENT_JVM_OPTIONS,
                        "agent",
                        "--server",
                        proxy.url().toString(),
                        "--token-file",
                        dataDir(0).resolve("agent.token").toString(),
                        "--name",
                        "real-" + i,
                        "--work-dir",
                        work.toString(),
                        "--terraform",
                        "/usr/local/bin/terraform"))
                .redirectErrorStream(true)
                .start();
        if (agents.size() <= i) agents.add(p);
        else agents.set(i, p);
        Path log = dir.resolve("agent-" + i + ".log");
        Thread.ofVirtual().start(() -> follow(p, log, "real-" + i));
    }

    private void follow(Process p, Path log, String name) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(
                        Files.newBufferedWriter(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                Matcher m = CLAIM.matcher(line);
                if (m.find()) claims.accept(new SoakInvariants.Claim(m.group(1), Integer.parseInt(m.group(2)), name));
            }
        } catch (IOException e) {
            // the agent was killed: its output ends here
        }
    }

    /**
     * SIGKILL of the agent's JVM. The Terraform it started keeps running, as it would on a host whose agent crashed;
     * {@link #close} ends those too.
     */
    void killAgent(int i) throws InterruptedException {
        Process p = agents.get(i);
        orphans.addAll(p.descendants().toList());
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * The replica's heap after a full collection, in MiB: {@code jcmd PID GC.run}, then the "used" of {@code jcmd PID
     * GC.heap_info}.
     */
    double heapAfterFullGcMib(int i) throws Exception {
        String pid = Long.toString(replicas[i].pid());
        run(List.of("jcmd", pid, "GC.run"), dir.resolve("jcmd.log"));
        String info = run(List.of("jcmd", pid, "GC.heap_info"), dir.resolve("jcmd.log"));
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) throw new IllegalStateException("no heap figure in jcmd GC.heap_info: " + info);
        return Long.parseLong(m.group(1)) / 1024.0;
    }

    /** {@code jcmd PID GC.class_histogram} of the replica: bytes by class name, after the full GC it forces. */
    Map<String, Long> classHistogram(int i) throws Exception {
        String out = run(
                List.of("jcmd", Long.toString(replicas[i].pid()), "GC.class_histogram"), dir.resolve("histogram.log"));
        Map<String, Long> bytes = new HashMap<>();
        for (String line : out.split("\n")) {
            Matcher m = HISTOGRAM_ROW.matcher(line);
            if (m.find()) bytes.merge(m.group(2), Long.parseLong(m.group(1)), Long::sum);
        }
        return bytes;
    }

    private static String run(List<String> command, Path log) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Files.writeString(log, out, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException(command + " failed: " + out);
        return out;
    }

    interface Check {
        boolean holds() throws Exception;
    }

    static void awaitTrue(String what, Duration within, Check check) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
            Thread.sleep(200);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Ends every process it started (agents with the Terraform they left running), then drops the database. */
    @Override
    public void close() throws Exception {
        for (Process p : agents) {
            List<ProcessHandle> children = p.descendants().toList();
            p.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
        }
        orphans.forEach(ProcessHandle::destroyForcibly);
        if (proxy != null) proxy.close();
        for (Process p : replicas) {
            if (p != null) {
                p.destroy(); // SIGTERM: the replica drains and closes its pool, so the database can be dropped
                if (!p.waitFor(40, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
        if (redis != null) killRedis();
        try {
            adminSql("drop database if exists " + database + " with (force)");
        } catch (SQLException e) {
            System.err.println("soak: could not drop database " + database + ": " + e);
        }
    }
}
