package io.iacrunner.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bench/run <name> [options]}: runs one benchmark and writes its section of {@code docs/benchmarks.md}.
 * Benchmarks are run by hand; nothing here runs in the test suite.
 */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            usage();
            System.exit(args.length == 0 ? 2 : 0);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        switch (args[0]) {
            case "queue-latency" -> QueueLatencyBench.run(QueueLatencyBench.Options.parse(rest, Path.of("docs/benchmarks.md")));
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
                                           --doc FILE (docs/benchmarks.md)  --no-doc (print only)""");
    }
}
