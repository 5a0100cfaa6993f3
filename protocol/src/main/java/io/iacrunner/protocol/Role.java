package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What a user token may do in a workspace, each role including the ones before it: {@code read} (tasks, logs, state),
 * {@code plan} (queue and cancel plans), {@code apply} (queue and cancel plan_applys), {@code admin} (variables,
 * settings, unlock, rollback). Who may queue a run may cancel it (docs/decisions.md).
 */
public enum Role {
    READ,
    PLAN,
    APPLY,
    ADMIN;

    public boolean includes(Role other) {
        return compareTo(other) >= 0;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Role fromWire(String value) {
        for (Role r : values()) {
            if (r.wireName().equals(value)) return r;
        }
        throw new IllegalArgumentException("unknown role '" + value + "': read, plan, apply or admin");
    }
}
