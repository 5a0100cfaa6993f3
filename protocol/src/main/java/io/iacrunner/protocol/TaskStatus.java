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
    /** The plan is made and stored; its apply waits for a person to confirm it (or discard it). */
    @JsonProperty("planned")
    PLANNED,
    @JsonProperty("succeeded")
    SUCCEEDED,
    @JsonProperty("failed")
    FAILED,
    @JsonProperty("canceled")
    CANCELED,
    @JsonProperty("errored")
    ERRORED,
    /** A person discarded the planned run: nothing was applied. */
    @JsonProperty("discarded")
    DISCARDED;

    /** Ended for good: nothing more happens to the task. */
    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING && this != PLANNED;
    }

    /**
     * Nothing more happens until a person acts: ended, or planned and waiting for confirmation. Its log holds every line
     * it will have until then, so a follower of the log stops here.
     */
    public boolean isSettled() {
        return isTerminal() || this == PLANNED;
    }

    /**
     * The statuses this one may move to. Running goes back to queued when a lost attempt is retried; planned goes to
     * queued when a person confirms it (its apply is queued) and to discarded when a person discards it.
     */
    public Set<TaskStatus> next() {
        return switch (this) {
            case QUEUED -> EnumSet.of(RUNNING, CANCELED, ERRORED);
            case RUNNING -> EnumSet.of(QUEUED, PLANNED, SUCCEEDED, FAILED, CANCELED, ERRORED);
            case PLANNED -> EnumSet.of(QUEUED, DISCARDED);
            case SUCCEEDED, FAILED, CANCELED, ERRORED, DISCARDED -> EnumSet.noneOf(TaskStatus.class);
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
