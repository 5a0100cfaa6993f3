package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a task does: the seed's two task types. */
public enum TaskAction {
    /** {@code terraform init} + {@code plan}; never changes state; runs in parallel up to the pool's limit. */
    @JsonProperty("plan")
    PLAN,
    /** {@code init}, {@code plan -out}, then {@code apply} of exactly that plan file; alone on its agent. */
    @JsonProperty("plan_apply")
    PLAN_APPLY;

    public String wireName() {
        return this == PLAN ? "plan" : "plan_apply";
    }

    public static TaskAction fromWire(String name) {
        for (TaskAction a : values()) {
            if (a.wireName().equals(name)) return a;
        }
        throw new IllegalArgumentException("unknown action '" + name + "' (expected plan or plan_apply)");
    }
}
