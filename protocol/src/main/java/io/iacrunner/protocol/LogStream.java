package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where a log line came from: Terraform's stdout or stderr, or the agent itself (setup errors). */
public enum LogStream {
    @JsonProperty("stdout")
    STDOUT,
    @JsonProperty("stderr")
    STDERR,
    @JsonProperty("system")
    SYSTEM;

    /** The seed's {@code level} field: stderr and agent messages are errors or notices, stdout is info. */
    public String level() {
        return switch (this) {
            case STDOUT -> "info";
            case STDERR -> "error";
            case SYSTEM -> "notice";
        };
    }
}
