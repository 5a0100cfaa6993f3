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
 * Gauges of what the store says, the same on every replica: queued tasks per pool, running tasks, agents by status.
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
        Map<String, Long> byStatus = new TreeMap<>(agents.list().agents().stream()
                .collect(Collectors.groupingBy(AgentView::status, Collectors.counting())));
        AGENT_STATUSES.forEach(s -> byStatus.putIfAbsent(s, 0L));
        agentsByStatus.register(rows("status", byStatus), true);
    }

    private static List<MultiGauge.Row<?>> rows(String tag, Map<String, Long> values) {
        return values.entrySet().stream()
                .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of(tag, e.getKey()), e.getValue()))
                .collect(Collectors.toList());
    }
}
