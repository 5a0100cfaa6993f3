package io.iacrunner.server.ops;

import io.iacrunner.protocol.AgentView;
import io.iacrunner.server.agents.AgentService;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.tasks.TaskStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Gauges of what the store says, the same on every replica: queued tasks per pool, running tasks, agents by status
 * and by version, and each online agent's CPU, memory and plan slots from its last ping.
 * Read once per scrape ({@link Metrics#refreshBeforeScrape}); with several replicas, aggregate them with {@code max},
 * not {@code sum}.
 */
public final class StoreGauges {
    private static final List<String> AGENT_STATUSES = List.of("idle", "busy", "offline");
    private static final List<String> ACTIONS = List.of("plan", "plan_apply");

    private final TaskStore tasks;
    private final AgentService agents;
    private final MultiGauge queueDepth;
    private final MultiGauge running;
    private final MultiGauge agentsByStatus;
    private final MultiGauge agentsByVersion;
    private final MultiGauge agentCpu;
    private final MultiGauge agentMemory;
    private final MultiGauge agentSlots;
    private final StoreAvailability store;

    public StoreGauges(TaskStore tasks, AgentService agents, MeterRegistry registry, StoreAvailability store) {
        this.store = store;
        this.tasks = tasks;
        this.agents = agents;
        this.queueDepth = MultiGauge.builder("iac.queue.depth")
                .description("Queued tasks that agents of the pool could run (the pool's labels cover the task's)")
                .register(registry);
        this.running = MultiGauge.builder("iac.tasks.running")
                .description("Running tasks, by action")
                .register(registry);
        this.agentsByStatus = MultiGauge.builder("iac.agents")
                .description("Registered agents, by status")
                .register(registry);
        this.agentsByVersion = MultiGauge.builder("iac.agents.by.version")
                .description("Agents that are not offline, by the version they report")
                .register(registry);
        this.agentCpu = MultiGauge.builder("iac.agent.cpu.usage")
                .description("Each online agent's CPU use in its last ping, a fraction of what it may use")
                .register(registry);
        this.agentMemory = MultiGauge.builder("iac.agent.memory.usage")
                .description("Each online agent's memory use in its last ping, a fraction of its limit")
                .register(registry);
        this.agentSlots = MultiGauge.builder("iac.agent.plan.slots")
                .description("The plans each online agent takes now (adapted to its load), from its last ping")
                .register(registry);
    }

    /** Reads the store; while it is unavailable the gauges keep their last values (the outage is logged once elsewhere). */
    public void refresh() {
        try {
            read();
        } catch (RuntimeException e) {
            if (!store.failed(e)) throw e;
        }
    }

    private void read() {
        queueDepth.register(rows("pool", tasks.queueDepthByPool()), true);
        Map<String, Long> byAction = new TreeMap<>(tasks.runningByAction());
        ACTIONS.forEach(a -> byAction.putIfAbsent(a, 0L));
        running.register(rows("action", byAction), true);
        List<AgentView> all = agents.list().agents();
        Map<String, Long> byStatus =
                new TreeMap<>(all.stream().collect(Collectors.groupingBy(AgentView::status, Collectors.counting())));
        AGENT_STATUSES.forEach(s -> byStatus.putIfAbsent(s, 0L));
        agentsByStatus.register(rows("status", byStatus), true);
        List<AgentView> online =
                all.stream().filter(a -> !"offline".equals(a.status())).toList();
        agentsByVersion.register(
                rows(
                        "version",
                        new TreeMap<>(online.stream()
                                .collect(Collectors.groupingBy(
                                        a -> a.version() == null ? "unknown" : a.version(), Collectors.counting())))),
                true);
        agentCpu.register(perAgent(online, AgentView::cpuUsage), true);
        agentMemory.register(perAgent(online, AgentView::memUsage), true);
        agentSlots.register(
                perAgent(
                        online,
                        a -> a.planSlots() == null ? null : a.planSlots().doubleValue()),
                true);
    }

    /** One row per agent that reported the figure, labelled with its id, name and pool. */
    private static List<MultiGauge.Row<?>> perAgent(
            List<AgentView> agents, java.util.function.Function<AgentView, Double> figure) {
        return agents.stream()
                .filter(a -> figure.apply(a) != null)
                .<MultiGauge.Row<?>>map(a -> MultiGauge.Row.of(
                        Tags.of("agent", a.agentId(), "name", a.name(), "pool", a.poolId()), figure.apply(a)))
                .collect(Collectors.toList());
    }

    private static List<MultiGauge.Row<?>> rows(String tag, Map<String, Long> values) {
        return values.entrySet().stream()
                .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of(tag, e.getKey()), e.getValue()))
                .collect(Collectors.toList());
    }
}
