package io.iacrunner.cli;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TaskList;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "List tasks, newest first as the server orders them.")
public final class TaskListCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Option(names = "--workspace", paramLabel = "WS", description = "Only this workspace's tasks.")
    String workspace;

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "At most N tasks (the server's default is 100, its maximum 1000).")
    Integer limit;

    @Option(names = "--json", description = "Print the list as JSON.")
    boolean json;

    public TaskListCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        List<String> query = new ArrayList<>();
        if (workspace != null) query.add("workspace=" + URLEncoder.encode(workspace, StandardCharsets.UTF_8));
        if (limit != null) query.add("limit=" + limit);
        String path = ApiPaths.TASKS + (query.isEmpty() ? "" : "?" + String.join("&", query));
        TaskList list = client.client().get(path, TaskList.class);
        if (json) {
            ctx.out().println(Format.json(list));
        } else {
            ctx.out().print(Format.taskTable(list == null || list.tasks() == null ? List.of() : list.tasks()));
        }
        return ExitCodes.OK;
    }
}
