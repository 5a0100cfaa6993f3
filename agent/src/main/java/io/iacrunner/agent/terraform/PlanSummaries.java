package io.iacrunner.agent.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.PlanSummary;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what a plan would do from {@code terraform show -json <plan>}: each {@code resource_changes} entry's actions,
 * counted the way Terraform's own "Plan: N to add, N to change, N to destroy." line counts them (a replacement, in
 * either order, is one add and one destroy; {@code no-op} and {@code read} are nothing).
 */
public final class PlanSummaries {
    private PlanSummaries() {}

    public static PlanSummary of(JsonNode plan) {
        List<String> add = new ArrayList<>();
        List<String> change = new ArrayList<>();
        List<String> destroy = new ArrayList<>();
        for (JsonNode resource : plan.path("resource_changes")) {
            String address = resource.path("address").asText();
            List<String> actions = new ArrayList<>();
            resource.path("change").path("actions").forEach(a -> actions.add(a.asText()));
            if (actions.contains("create")) add.add(address);
            if (actions.contains("delete")) destroy.add(address);
            if (actions.contains("update")) change.add(address);
        }
        return new PlanSummary(List.copyOf(add), List.copyOf(change), List.copyOf(destroy));
    }
}
