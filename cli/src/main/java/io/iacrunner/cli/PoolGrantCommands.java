package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.NameRequest;
import io.iacrunner.protocol.PoolGrantList;
import io.iacrunner.protocol.PoolGrants;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Which workspaces a pool serves, and the site admin's sharing of a pool with other organisations. */
final class PoolGrantCommands {
    private PoolGrantCommands() {}

    /**
     * The path of {@code template} for pool {@code pool}: a name in the command's organisation, or {@code ORG/NAME}
     * for a pool of another organisation shared with it (then named by {@code ?org=}, which the client keeps).
     */
    static String poolPath(String template, String pool) {
        int slash = pool.indexOf('/');
        if (slash < 0) return ApiPaths.fill(template, pool);
        String org = pool.substring(0, slash);
        String name = pool.substring(slash + 1);
        if (org.isEmpty() || name.isEmpty() || name.contains("/"))
            throw new UsageException("POOL must be NAME or ORG/NAME, got '" + pool + "'");
        return ApiPaths.fill(template, name) + "?org=" + URLEncoder.encode(org, StandardCharsets.UTF_8);
    }

    static String describe(PoolGrantList list) {
        List<List<String>> rows = new ArrayList<>();
        for (PoolGrantList.Grant g : list.grants())
            rows.add(List.of(g.org(), g.workspace() == null ? "(every workspace)" : g.workspace()));
        return Format.table(List.of("ORG", "WORKSPACE"), rows);
    }

    @Command(
            name = "grant",
            mixinStandardHelpOptions = true,
            description = {
                "Choose which workspaces of the organisation (--org) a pool serves: the ones named",
                "with --workspace, or every workspace with --all-workspaces. Needs an owner of that",
                "organisation. Refused, changing nothing, when a workspace naming the pool would lose it",
                "or a queued task could then run on no pool.",
            })
    static final class Grant implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "POOL", description = "Pool id (ORG/POOL for a pool shared with the organisation).")
        String pool;

        static final class Choice {
            @Option(
                    names = "--workspace",
                    paramLabel = "WS",
                    required = true,
                    description = "A workspace (repeatable).")
            List<String> workspaces;

            @Option(names = "--all-workspaces", required = true, description = "Every workspace, present and future.")
            boolean all;
        }

        @ArgGroup(multiplicity = "1")
        Choice choice;

        @Option(names = "--json", description = "Print the pool's grants as JSON.")
        boolean json;

        Grant(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            PoolGrantList result = client.client()
                    .put(
                            poolPath(ApiPaths.POOL_GRANTS, pool),
                            new PoolGrants(client.org(), choice.all ? null : choice.workspaces),
                            PoolGrantList.class);
            ctx.out().print(json ? Format.json(result) + "\n" : describe(result));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "grants",
            mixinStandardHelpOptions = true,
            description = "List where a pool's agents may run tasks.")
    static final class Grants implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "POOL", description = "Pool id.")
        String pool;

        @Option(names = "--json", description = "Print the grants as JSON.")
        boolean json;

        Grants(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            PoolGrantList result = client.client().get(poolPath(ApiPaths.POOL_GRANTS, pool), PoolGrantList.class);
            ctx.out().print(json ? Format.json(result) + "\n" : describe(result));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "share",
            mixinStandardHelpOptions = true,
            description = "Share a pool with another organisation, all of its workspaces (the site admin).")
    static final class Share implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "POOL", description = "Pool id, in --org's organisation.")
        String pool;

        @Option(
                names = "--with",
                paramLabel = "ORG",
                required = true,
                description = "The organisation to share it with.")
        String with;

        Share(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            client.client().post(poolPath(ApiPaths.POOL_SHARES, pool), new NameRequest(with), NameRequest.class);
            ctx.out().println("pool " + pool + " shared with " + with);
            return ExitCodes.OK;
        }
    }
}
