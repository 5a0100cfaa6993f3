package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.NameRequest;
import io.iacrunner.protocol.OrgList;
import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TeamList;
import io.iacrunner.protocol.TeamView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Organisations (the site admin's), and their users and teams (their owners'): {@code ./iac org}, {@code ./iac
 * user}, {@code ./iac team}. Each prints what the server answered as JSON.
 */
@Command(
        name = "org",
        mixinStandardHelpOptions = true,
        description = "Organisations: the tenant boundary. The site admin creates them; everyone lists theirs.",
        subcommands = {OrgCommand.Create.class, OrgCommand.ListOrgs.class, OrgCommand.Show.class})
public final class OrgCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: create, list or show");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an organisation (site admin).")
    public static final class Create implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "ORG", description = "Its name.")
        String org;

        @Option(names = "--weight", paramLabel = "N", description = "Its share of a pool under fair scheduling.")
        Integer weight;

        @Option(names = "--max-running", paramLabel = "N", description = "The most of its tasks running at once.")
        Integer maxRunning;

        @Option(names = "--max-queued", paramLabel = "N", description = "The most of its tasks queued.")
        Integer maxQueued;

        public Create(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            OrgView created = client.client()
                    .post(ApiPaths.ORGS, new OrgSettings(org, weight, maxRunning, maxQueued), OrgView.class);
            ctx.out().println(Format.json(created));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The organisations the token may see.")
    public static final class ListOrgs implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        public ListOrgs(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            for (OrgView o : client.client().get(ApiPaths.ORGS, OrgList.class).orgs()) {
                ctx.out()
                        .println(o.orgId() + "\tweight " + o.weight() + "\tmax_running "
                                + (o.maxRunning() == null ? "-" : o.maxRunning()) + "\tmax_queued "
                                + (o.maxQueued() == null ? "-" : o.maxQueued()));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "An organisation, as JSON.")
    public static final class Show implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "ORG", description = "Its name.")
        String org;

        public Show(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ctx.out().println(Format.json(client.client().get(ApiPaths.fill(ApiPaths.ORG, org), OrgView.class)));
            return ExitCodes.OK;
        }
    }

    /** {@code ./iac user create NAME --org ORG}: a user of the organisation (its owner). */
    @Command(
            name = "user",
            mixinStandardHelpOptions = true,
            description = "Users of an organisation (--org); their tokens: ./iac token create --org ORG --user NAME.",
            subcommands = {UserCommand.CreateUser.class})
    public static final class UserCommand implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new ParameterException(spec.commandLine(), "missing command: create");
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a user of --org.")
        public static final class CreateUser implements Callable<Integer> {
            private final CliContext ctx;

            @Mixin
            ClientOptions client;

            @Parameters(paramLabel = "NAME", description = "The user's name.")
            String name;

            public CreateUser(CliContext ctx) {
                this.ctx = ctx;
            }

            @Override
            public Integer call() {
                client.client()
                        .post(
                                ApiPaths.fill(ApiPaths.ORG_USERS, client.org()),
                                new NameRequest(name),
                                NameRequest.class);
                ctx.out().println("user " + name + " created in " + client.org());
                return ExitCodes.OK;
            }
        }
    }

    /** {@code ./iac team create|add|grant|list --org ORG}: teams, their members and grants (its owner). */
    @Command(
            name = "team",
            mixinStandardHelpOptions = true,
            description = "Teams of an organisation (--org): members and the roles they hold.",
            subcommands = {
                TeamCommand.CreateTeam.class,
                TeamCommand.Add.class,
                TeamCommand.Grant.class,
                TeamCommand.ListTeams.class
            })
    public static final class TeamCommand implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new ParameterException(spec.commandLine(), "missing command: create, add, grant or list");
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a team of --org.")
        public static final class CreateTeam implements Callable<Integer> {
            private final CliContext ctx;

            @Mixin
            ClientOptions client;

            @Parameters(paramLabel = "TEAM", description = "The team's name.")
            String team;

            public CreateTeam(CliContext ctx) {
                this.ctx = ctx;
            }

            @Override
            public Integer call() {
                client.client()
                        .post(
                                ApiPaths.fill(ApiPaths.ORG_TEAMS, client.org()),
                                new NameRequest(team),
                                NameRequest.class);
                ctx.out().println("team " + team + " created in " + client.org());
                return ExitCodes.OK;
            }
        }

        @Command(name = "add", mixinStandardHelpOptions = true, description = "Add USER to TEAM.")
        public static final class Add implements Callable<Integer> {
            private final CliContext ctx;

            @Mixin
            ClientOptions client;

            @Parameters(index = "0", paramLabel = "TEAM")
            String team;

            @Parameters(index = "1", paramLabel = "USER")
            String user;

            public Add(CliContext ctx) {
                this.ctx = ctx;
            }

            @Override
            public Integer call() {
                client.client()
                        .post(
                                ApiPaths.fill(ApiPaths.ORG_TEAM_MEMBERS, client.org(), team),
                                new NameRequest(user),
                                NameRequest.class);
                ctx.out().println("user " + user + " added to team " + team);
                return ExitCodes.OK;
            }
        }

        @Command(
                name = "grant",
                mixinStandardHelpOptions = true,
                description = "Give TEAM a ROLE on --workspace WS, or on every workspace of --org without it.")
        public static final class Grant implements Callable<Integer> {
            private final CliContext ctx;

            @Mixin
            ClientOptions client;

            @Parameters(index = "0", paramLabel = "TEAM")
            String team;

            @Parameters(index = "1", paramLabel = "ROLE", description = "read, plan, apply or admin.")
            String role;

            @Option(names = "--workspace", paramLabel = "WS", description = "One workspace (default: all of them).")
            String workspace;

            public Grant(CliContext ctx) {
                this.ctx = ctx;
            }

            @Override
            public Integer call() {
                Role parsed;
                try {
                    parsed = Role.fromWire(role);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("ROLE: " + e.getMessage());
                }
                client.client()
                        .post(
                                ApiPaths.fill(ApiPaths.ORG_TEAM_GRANTS, client.org(), team),
                                new TeamView.Grant(workspace, parsed),
                                TeamView.Grant.class);
                ctx.out()
                        .println("team " + team + ": " + parsed.wireName() + " on "
                                + (workspace == null ? "every workspace of " + client.org() : workspace));
                return ExitCodes.OK;
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Teams, members and grants, as JSON.")
        public static final class ListTeams implements Callable<Integer> {
            private final CliContext ctx;

            @Mixin
            ClientOptions client;

            public ListTeams(CliContext ctx) {
                this.ctx = ctx;
            }

            @Override
            public Integer call() {
                ctx.out()
                        .println(Format.json(
                                client.client().get(ApiPaths.fill(ApiPaths.ORG_TEAMS, client.org()), TeamList.class)));
                return ExitCodes.OK;
            }
        }
    }
}
