package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A task's lifecycle. This enum holds the one transition table. The server's task store checks every change against
 * it, the claim included, and makes the change in one SQL statement that matches the task only while it is still in
 * the status the change leaves.
 */
public enum TaskStatus {
    @JsonProperty("queued")
    QUEUED,
    @JsonProperty("running")
    RUNNING,
    @JsonProperty("succeeded")
    SUCCEEDED,
    @JsonProperty("failed")
    FAILED,
    @JsonProperty("canceled")
    CANCELED,
    @JsonProperty("errored")
    ERRORED;

    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING;
    }

    /** The statuses this one may move to. Running goes back to queued only when a lost attempt is retried. */
    public Set<TaskStatus> next() {
        return switch (this) {
            case QUEUED -> EnumSet.of(RUNNING, CANCELED, ERRORED);
            case RUNNING -> EnumSet.of(QUEUED, SUCCEEDED, FAILED, CANCELED, ERRORED);
            case SUCCEEDED, FAILED, CANCELED, ERRORED -> EnumSet.noneOf(TaskStatus.class);
        };
    }

    public boolean canMoveTo(TaskStatus target) {
        return next().contains(target);
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TaskStatus fromWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
