package io.iacrunner.protocol;

import java.util.List;

/**
 * What a plan would do, from {@code terraform show -json} of its plan file: the resource addresses to add, change and
 * destroy (a replacement is in both {@code add} and {@code destroy}, as Terraform counts it).
 */
public record PlanSummary(List<String> add, List<String> change, List<String> destroy) {
    public boolean hasChanges() {
        return !add.isEmpty() || !change.isEmpty() || !destroy.isEmpty();
    }

    /** Terraform's own wording: "1 to add, 0 to change, 0 to destroy", or "no changes". */
    public String describe() {
        return hasChanges()
                ? add.size() + " to add, " + change.size() + " to change, " + destroy.size() + " to destroy"
                : "no changes";
    }
}
