package io.iacrunner.cli;

import io.iacrunner.protocol.AgentList;
import io.iacrunner.protocol.AgentView;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.Isolation;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "agents",
        mixinStandardHelpOptions = true,
        description = {
            "List agents: id, name, pool, status (idle|busy|offline), last seen, version, isolation, CPU and",
            "memory use (of its container's limits when it runs in one), plan slots, running tasks, warnings.",
            "SLOTS is plans running/slots it takes now of its limit, and why: the slots follow the agent's",
            "load unless it runs with --adaptive false. ISOLATION is 'sandbox', or NONE(unsandboxed) for an agent started with --isolation",
            "none: the tasks it runs can read its credentials and the secrets of tasks running beside them.",
            "WARNINGS says 'disk full' for an agent short of disk space: it claims nothing until space is freed.",
        })
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
            List<AgentView> agents = list == null || list.agents() == null ? List.of() : list.agents();
            ctx.out().print(Format.agentTable(agents));
            long unsandboxed = agents.stream()
                    .filter(a -> a.isolation() == Isolation.NONE && !"offline".equals(a.status()))
                    .count();
            if (unsandboxed > 0) {
                ctx.err()
                        .println(
                                "warning: " + unsandboxed + " agent(s) run tasks without a sandbox (--isolation none):"
                                        + " any configuration they run can read the agent's credentials and other tasks' secrets");
            }
        }
        return ExitCodes.OK;
    }
}
