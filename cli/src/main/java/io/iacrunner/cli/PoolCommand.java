package io.iacrunner.cli;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.ErrorCodes;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolList;
import io.iacrunner.protocol.PoolToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "pool",
        mixinStandardHelpOptions = true,
        description = "Agent pools: their limits, labels, tokens and the workspaces they serve.",
        subcommands = {
            PoolCommand.Create.class,
            PoolCommand.Show.class,
            PoolCommand.ListPools.class,
            PoolGrantCommands.Grant.class,
            PoolGrantCommands.Grants.class,
            PoolGrantCommands.Share.class
        })
public final class PoolCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: create, show, list, grant, grants or share");
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = {
                "Create a pool (or update its settings), then issue a token that registers",
                "agents into it. Prints the token alone on stdout, or with --token-out writes it",
                "to FILE (mode 0600) and prints the path.",
            })
    public static final class Create implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "POOL", description = "Pool id.")
        String poolId;

        @Option(
                names = "--max-plans",
                paramLabel = "N",
                defaultValue = "3",
                description = "Plans an agent of the pool may run at once (default ${DEFAULT-VALUE}).")
        int maxPlans;

        @Option(
                names = "--allow-apply-concurrent",
                description = "Let plans run beside a plan_apply on the same agent.")
        boolean allowApplyConcurrent;

        @Option(
                names = "--label",
                paramLabel = "KEY=VALUE",
                description =
                        "A label of the pool (repeatable); a task that requires labels runs only where all of them are.")
        List<String> labels;

        @Option(
                names = "--max-run-time",
                paramLabel = "DURATION",
                defaultValue = "2h",
                description =
                        "How long a run on the pool's agents may take, like 20s, 30m, 2h or 1h30m (default ${DEFAULT-VALUE});"
                                + " past it the agent stops it as a cancel does and it ends errored. A workspace may set its own.")
        String maxRunTime;

        @Option(
                names = "--max-running",
                paramLabel = "N",
                description =
                        "The most tasks running on all of the pool's agents together (default: no pool-wide limit).")
        Integer maxRunning;

        @Option(
                names = "--min-agent-version",
                paramLabel = "VERSION",
                description = "Refuse registration and pings of agents older than VERSION, like 1.4 (default: any).")
        String minAgentVersion;

        @Option(
                names = "--token-out",
                paramLabel = "FILE",
                description = "Write the pool token to FILE (mode 0600) instead of stdout.")
        Path tokenOut;

        public Create(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            if (poolId.isBlank()) throw new UsageException("POOL must not be blank");
            if (maxPlans < 1) throw new UsageException("--max-plans must be 1 or more, got " + maxPlans);
            if (maxRunning != null && maxRunning < 1)
                throw new UsageException("--max-running must be 1 or more, got " + maxRunning);
            Map<String, String> poolLabels = Labels.parse(labels, "--label");
            String runTime = RunTimeOption.parse(maxRunTime, "--max-run-time");
            Path out = tokenOut == null ? null : ctx.resolve(tokenOut);
            if (out != null) checkWritable(out);
            client.client()
                    .put(
                            ApiPaths.fill(ApiPaths.POOL, poolId),
                            new PoolConfig(
                                    poolId,
                                    maxPlans,
                                    allowApplyConcurrent,
                                    poolLabels,
                                    runTime,
                                    minAgentVersion,
                                    maxRunning),
                            PoolConfig.class);
            PoolToken token =
                    client.client().post(ApiPaths.fill(ApiPaths.POOL_TOKENS, poolId), Map.of(), PoolToken.class);
            if (token == null || token.token() == null || token.token().isBlank()) {
                throw new ApiException(200, ErrorCodes.BAD_REPLY, "the server's reply held no pool token");
            }
            if (out == null) {
                ctx.out().println(token.token());
            } else {
                writePrivately(out, token.token());
                ctx.out().println(out);
            }
            return ExitCodes.OK;
        }

        /** Checked before anything is sent, so a typo in the path does not leave a pool without its token. */
        private static void checkWritable(Path file) {
            Path parent = file.getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new UsageException("--token-out: directory " + parent + " does not exist");
            }
            if (!Files.isWritable(parent))
                throw new UsageException("--token-out: directory " + parent + " is not writable");
            if (Files.isDirectory(file)) throw new UsageException("--token-out: " + file + " is a directory");
        }

        /** Owner-only from the first byte: written to a 0600 file beside the target, then moved over it. */
        private static void writePrivately(Path file, String token) {
            Path temp = null;
            try {
                temp = Files.createTempFile(
                        file.getParent(),
                        "." + file.getFileName(),
                        ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(temp, token + "\n", StandardCharsets.UTF_8);
                try {
                    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                if (temp != null) {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException ignored) {
                        // Best effort; the error below is what matters.
                    }
                }
                throw new UsageException("--token-out: the pool token was issued but could not be written to " + file
                        + " (" + Problems.describe(e) + "); fix the path and run the command again for a new token");
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one pool's settings.")
    public static final class Show implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "POOL", description = "Pool id.")
        String poolId;

        @Option(names = "--json", description = "Print the pool as JSON.")
        boolean json;

        public Show(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            PoolConfig pool = client.client().get(ApiPaths.fill(ApiPaths.POOL, poolId), PoolConfig.class);
            ctx.out().print(json ? Format.json(pool) + "\n" : Format.poolDetails(pool));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List pools.")
    public static final class ListPools implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Option(names = "--json", description = "Print the list as JSON.")
        boolean json;

        public ListPools(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            PoolList list = client.client().get(ApiPaths.POOLS, PoolList.class);
            if (json) {
                ctx.out().println(Format.json(list));
            } else {
                ctx.out().print(Format.poolTable(list == null || list.pools() == null ? List.of() : list.pools()));
            }
            return ExitCodes.OK;
        }
    }
}
