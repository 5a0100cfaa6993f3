package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateNotificationRequest;
import io.iacrunner.protocol.DeliveryList;
import io.iacrunner.protocol.DeliveryView;
import io.iacrunner.protocol.NotificationCreated;
import io.iacrunner.protocol.NotificationList;
import io.iacrunner.protocol.NotificationView;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "notify",
        mixinStandardHelpOptions = true,
        description = "Webhook notifications of a workspace's runs (needs the workspace's admin role).",
        subcommands = {
            NotifyCommand.Add.class,
            NotifyCommand.ListDestinations.class,
            NotifyCommand.Remove.class,
            NotifyCommand.Deliveries.class
        })
public final class NotifyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: add, list, remove or deliveries");
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            description = {
                "Send the workspace's events to URL: each is POSTed as JSON, signed with HMAC-SHA256",
                "(header X-Iac-Signature-256) and retried with backoff for up to an hour. Prints the destination's id;",
                "without --secret-file the server makes a secret and it is printed once, on a second line.",
            })
    public static final class Add implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--url", required = true, paramLabel = "URL", description = "Where to POST (http or https).")
        String url;

        @Option(
                names = "--events",
                required = true,
                split = ",",
                paramLabel = "EVENT",
                description = "Comma-separated: planned, succeeded, failed, errored, canceled, discarded.")
        List<String> events;

        @Option(
                names = "--secret-file",
                paramLabel = "FILE",
                description = "The signing secret (16 bytes or more; one trailing newline dropped).")
        Path secretFile;

        public Add(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            NotificationCreated created = client.client()
                    .post(
                            ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, workspace),
                            new CreateNotificationRequest(url, events, secret()),
                            NotificationCreated.class);
            ctx.out().println(created.destination().destinationId());
            if (created.generatedSecret() != null) ctx.out().println("secret: " + created.generatedSecret());
            return ExitCodes.OK;
        }

        private String secret() {
            if (secretFile == null) return null;
            try {
                String read = Files.readString(ctx.resolve(secretFile));
                return read.endsWith("\n") ? read.substring(0, read.length() - 1) : read;
            } catch (IOException e) {
                throw new UsageException("cannot read --secret-file " + secretFile + ": " + Problems.describe(e));
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List a workspace's destinations.")
    public static final class ListDestinations implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--json", description = "Print the list as JSON.")
        boolean json;

        public ListDestinations(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            NotificationList list = client.client()
                    .get(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, workspace), NotificationList.class);
            if (json) {
                ctx.out().println(Format.json(list));
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (NotificationView n : list.destinations()) {
                rows.add(List.of(
                        n.destinationId(), n.url(), String.join(",", n.events()), Format.shortTime(n.createdAt())));
            }
            ctx.out().print(Format.table(List.of("ID", "URL", "EVENTS", "CREATED"), rows));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "remove",
            mixinStandardHelpOptions = true,
            description = "Remove a destination; its pending deliveries are dropped with it.")
    public static final class Remove implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(index = "0", paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Parameters(index = "1", paramLabel = "ID", description = "The destination's id (notify list).")
        String id;

        public Remove(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            client.client().delete(ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION, workspace, id));
            ctx.out().println("workspace " + workspace + ": notification " + id + " removed");
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "deliveries",
            mixinStandardHelpOptions = true,
            description = "The delivery log: every event sent (or still being retried), newest first.")
    public static final class Deliveries implements Callable<Integer> {
        private final CliContext ctx;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "WS", description = "Workspace id.")
        String workspace;

        @Option(names = "--task", paramLabel = "ID", description = "Only the deliveries of this task.")
        String task;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N (1..1000).")
        int limit;

        @Option(names = "--json", description = "Print the log as JSON.")
        boolean json;

        public Deliveries(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String path = ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATION_DELIVERIES, workspace) + "?limit=" + limit
                    + (task == null ? "" : "&task_id=" + URLEncoder.encode(task, StandardCharsets.UTF_8));
            DeliveryList list = client.client().get(path, DeliveryList.class);
            if (json) {
                ctx.out().println(Format.json(list));
                return ExitCodes.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (DeliveryView d : list.deliveries()) {
                rows.add(List.of(
                        d.deliveryId(),
                        d.destinationId(),
                        d.taskId(),
                        d.event(),
                        d.status(),
                        Integer.toString(d.attempts()),
                        d.lastError() == null ? "-" : d.lastError(),
                        Format.shortTime(d.createdAt())));
            }
            ctx.out()
                    .print(Format.table(
                            List.of(
                                    "DELIVERY",
                                    "DESTINATION",
                                    "TASK",
                                    "EVENT",
                                    "STATUS",
                                    "ATTEMPTS",
                                    "LAST ERROR",
                                    "CREATED"),
                            rows));
            return ExitCodes.OK;
        }
    }
}
