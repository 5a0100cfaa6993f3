package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.protocol.TokenList;
import io.iacrunner.protocol.TokenView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = "API tokens: user tokens with roles per workspace, global admin tokens, agent-pool tokens.",
        subcommands = {
            TokenCommand.Create.class,
            TokenCommand.ListTokens.class,
            TokenCommand.Revoke.class,
            TokenCommand.RotateSigningKey.class
        })
public final class TokenCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: create, list, revoke or rotate-signing-key");
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = {
                "Create a token and print it once (the server keeps only its hash). One of:",
                "  --workspace WS --role read|plan|apply|admin  (repeat the pair for more workspaces)",
                "  --global-admin",
                "  --agent-pool POOL  (registers agents into POOL, nothing else)",
            })
    public static final class Create implements Callable<Integer> {
        private static final Pattern DURATION = Pattern.compile("(\\d{1,6})([smhd])");
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @ArgGroup(exclusive = false, multiplicity = "0..*")
        List<Grant> grants = new ArrayList<>();

        static final class Grant {
            @Option(
                    names = "--workspace",
                    paramLabel = "WS",
                    required = true,
                    description = "A workspace the token may act in.")
            String workspace;

            @Option(names = "--role", paramLabel = "ROLE", required = true, description = "read, plan, apply or admin.")
            String role;
        }

        @Option(names = "--global-admin", description = "Everything, everywhere.")
        boolean globalAdmin;

        @Option(
                names = "--owner",
                description = "An owner token of the organisation --org: it manages its users, teams, pools and"
                        + " workspaces (the site admin makes it).")
        boolean owner;

        @Option(
                names = "--user",
                paramLabel = "USER",
                description = "A token of USER of the organisation --org: its roles are its teams' grants.")
        String user;

        @Option(
                names = "--agent-pool",
                paramLabel = "POOL",
                description = "Registers agents into POOL and nothing else.")
        String pool;

        @Option(
                names = "--description",
                paramLabel = "TEXT",
                description = "Who or what holds it (shown in lists and the audit log).")
        String description;

        @Option(
                names = "--expires-in",
                paramLabel = "N{s|m|h|d}",
                description = "Lifetime, e.g. 90d (default: until revoked).")
        String expiresIn;

        public Create(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            Map<String, Role> workspaces = new LinkedHashMap<>();
            for (Grant g : grants) {
                try {
                    workspaces.put(g.workspace, Role.fromWire(g.role));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--role: " + e.getMessage());
                }
            }
            int kinds = (workspaces.isEmpty() ? 0 : 1)
                    + (globalAdmin ? 1 : 0)
                    + (pool == null ? 0 : 1)
                    + (owner ? 1 : 0)
                    + (user == null ? 0 : 1);
            if (kinds != 1) {
                throw new UsageException(
                        "say what the token may do: --workspace WS --role ROLE (repeatable), --global-admin,"
                                + " --agent-pool POOL, --owner or --user USER; exactly one of them");
            }
            TokenCreated created = client.client()
                    .post(
                            ApiPaths.TOKENS,
                            new CreateTokenRequest(
                                    description,
                                    globalAdmin ? Boolean.TRUE : null,
                                    workspaces.isEmpty() ? null : workspaces,
                                    pool,
                                    seconds(expiresIn),
                                    owner ? Boolean.TRUE : null,
                                    user),
                            TokenCreated.class);
            ctx.out().println(created.token());
            ctx.err().println("created " + created.view().tokenId() + "; the token above is shown only now");
            return ExitCodes.OK;
        }

        private static Long seconds(String text) {
            if (text == null) return null;
            Matcher m = DURATION.matcher(text.trim());
            if (!m.matches())
                throw new UsageException("--expires-in must look like 30m, 12h or 90d, not '" + text + "'");
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return d.toSeconds();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    public static final class ListTokens implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Option(names = "--json", description = "Print the list as JSON.")
        boolean json;

        public ListTokens(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            TokenList list = client.client().get(ApiPaths.TOKENS, TokenList.class);
            if (json) {
                ctx.out().println(Format.json(list));
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (TokenView t : list.tokens()) {
                rows.add(List.of(
                        t.tokenId(),
                        rights(t),
                        t.revokedAt() != null ? "revoked" : expired(t) ? "expired" : "active",
                        Format.shortTime(t.lastUsedAt()),
                        t.description() == null || t.description().isEmpty() ? "-" : t.description()));
            }
            ctx.out().print(Format.table(List.of("ID", "MAY", "STATUS", "LAST USED", "DESCRIPTION"), rows));
            return ExitCodes.OK;
        }

        private static String rights(TokenView t) {
            if ("pool".equals(t.kind())) return "register agents in " + t.poolId();
            if (t.globalAdmin()) return "global admin";
            List<String> grants = new ArrayList<>();
            t.workspaces().forEach((ws, role) -> grants.add(ws + "=" + role.wireName()));
            return String.join(",", grants);
        }

        private static boolean expired(TokenView t) {
            return t.expiresAt() != null && !java.time.Instant.now().isBefore(t.expiresAt());
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = "Revoke a token: it is refused from now on.")
    public static final class Revoke implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "ID", description = "The token's id (tok-…), from `token list`.")
        String tokenId;

        public Revoke(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            client.client().post(ApiPaths.fill(ApiPaths.TOKEN_REVOKE, tokenId), Map.of(), TokenView.class);
            ctx.out().println("token " + tokenId + " revoked");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "rotate-signing-key",
            mixinStandardHelpOptions = true,
            description = {
                "Sign agent and job tokens with a new key from now on. Tokens signed with",
                "the old key stay valid until they expire (an hour); no agent notices."
            })
    public static final class RotateSigningKey implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        public RotateSigningKey(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            Map<?, ?> reply = client.client().post(ApiPaths.SIGNING_KEY_ROTATE, Map.of(), Map.class);
            ctx.out().println("new signing key " + reply.get("kid"));
            return ExitCodes.OK;
        }
    }
}
