package io.iacrunner.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bench/run <name> [options]}: runs one benchmark and writes its section of {@code docs/benchmarks.md}.
 * Benchmarks are run by hand; nothing here runs in the test suite.
 */
public final class Bench {
    private static final Path DOC = Path.of("docs/benchmarks.md");

    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            usage();
            System.exit(args.length == 0 ? 2 : 0);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        switch (args[0]) {
            case QueueLatencyBench.NAME -> QueueLatencyBench.run(QueueLatencyBench.Options.parse(rest, DOC));
            case LogIngestBench.NAME -> LogIngestBench.run(LogIngestBench.Options.parse(rest, DOC));
            case LogLatencyBench.NAME -> LogLatencyBench.run(LogLatencyBench.Options.parse(rest, DOC));
            case FairnessBench.NAME -> FairnessBench.run(FairnessBench.Options.parse(rest, DOC));
            case AdaptiveBench.NAME -> AdaptiveBench.run(AdaptiveBench.Options.parse(rest, DOC));
            case StartupBench.NAME -> StartupBench.run(StartupBench.Options.parse(rest, DOC));
            case ClaimsBench.NAME -> ClaimsBench.run(ClaimsBench.Options.parse(rest, DOC));
            case FootprintBench.NAME -> FootprintBench.run(FootprintBench.Options.parse(rest, DOC));
            case PlanApplyOverheadBench.NAME ->
                PlanApplyOverheadBench.run(PlanApplyOverheadBench.Options.parse(rest, DOC));
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'");
                usage();
                System.exit(2);
            }
        }
    }

    private static void usage() {
        System.err.println("""
                usage: bench/run <benchmark> [options]

                benchmarks:
                  queue-latency   queue-to-start latency: 20 long-polling agents vs 20 agents on the seed's 5 s timer
                                  options: --tasks N (200 per mode)  --agents N (20)  --mean-gap-ms N (300)
                  log-ingest      log lines/s into PostgreSQL: the server's append path (HTTP, agent WebSocket) vs the
                                  server's own SQL over JDBC and COPY, on the same durable PostgreSQL
                                  options: --lines N (200000 per round)  --batch N (1000)  --rounds N (3 per mode)
                                           --window N (4: batches in flight on the WebSocket, as the agent)
                  log-latency     Terraform output line to WebSocket viewer (and to the store), with and without a viewer,
                                  real agent and real Terraform (terraform on PATH or /usr/local/bin/terraform)
                                  options: --lines N (2000 per run)  --interval-ms N (5)  --rounds N (2 per mode)
                                           --terraform PATH
                  adaptive        makespan and plan durations of the same CPU-heavy plans on one real agent with fixed
                                  plan slots 1, 2, 8 and adaptive slots (real Terraform, as log-latency)
                                  options: --plans N (60 per mode)  --burn N (200: thousands of hashes per plan)
                                           --rounds N (1)  --terraform PATH
                  claims          claims/s and claim latency: simulated agents pulling 5,000 queued plans through the API
                                  vs a raw SKIP LOCKED loop on as many connections, same durable PostgreSQL
                                  options: --tasks N (5000)  --pullers N (50)  --rounds N (2 per mode)
                  agent-footprint an idle agent's resident memory vs a bare HttpClient long-poll loop (JVM defaults,
                                  and the agent's JVM options), each a process of its own
                                  options: --rounds N (3)  --settle S (30)  --sample S (10)
                  plan-apply-overhead
                                  a small plan_apply through the server and a real agent vs the same Terraform commands
                                  by hand (terraform as log-latency)
                                  options: --rounds N (10 per mode)  --terraform PATH
                  startup         server start to /readyz (existing and fresh store) vs the embedded PostgreSQL alone and
                                  the JVM with the CLI, each a fresh process as ./iac starts it
                                  options: --rounds N (5 per mode)

                  fairness        organisation B's queue-to-start beside A's backlog, fair scheduling vs FIFO, and
                                  the claim throughput of both
                                  options: --backlog N (2000)  --b-tasks N (20)  --plan-ms N (200)  --drain-tasks N (1000 per round)

                every benchmark:  --doc FILE (docs/benchmarks.md)  --no-doc (print only)""");
    }
}
