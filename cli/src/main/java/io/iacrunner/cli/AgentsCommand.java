package io.iacrunner.cli;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.ApiPaths;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "agents", mixinStandardHelpOptions = true,
        description = "List agents: id, name, pool, status (idle|busy|offline), last seen, running tasks, warnings (disk full).")
public final class AgentsCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Mixin
    ClientOptions client;

    @Option(names = "--json", description = "Print the list as JSON.")
    boolean json;

    public AgentsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        AgentList list = client.client().get(ApiPaths.AGENTS, AgentList.class);
        if (json) {
            ctx.out().println(Format.json(list));
        } else {
            ctx.out().print(Format.agentTable(list == null || list.agents() == null ? List.of() : list.agents()));
        }
        return ExitCodes.OK;
    }
}
