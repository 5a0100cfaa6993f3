package io.iacrunner.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * How a run's {@code terraform plan} runs: {@code destroy} ({@code -destroy}: plan to destroy every resource; such a
 * run always waits for confirmation), {@code refreshOnly} ({@code -refresh-only}: only bring the state up to date),
 * {@code targets} ({@code -target=ADDR} each) and {@code replaces} ({@code -replace=ADDR} each). Null lists are empty.
 */
public record RunOptions(boolean destroy, boolean refreshOnly, List<String> targets, List<String> replaces) {
    public RunOptions {
        targets = targets == null ? List.of() : List.copyOf(targets);
        replaces = replaces == null ? List.of() : List.copyOf(replaces);
    }

    /** A run without options. */
    public static final RunOptions NORMAL = new RunOptions(false, false, List.of(), List.of());

    @JsonIgnore
    public boolean isNormal() {
        return equals(NORMAL);
    }

    /** The options as {@code terraform plan} arguments. */
    public List<String> planArguments() {
        List<String> args = new java.util.ArrayList<>();
        if (destroy) args.add("-destroy");
        if (refreshOnly) args.add("-refresh-only");
        targets.forEach(t -> args.add("-target=" + t));
        replaces.forEach(r -> args.add("-replace=" + r));
        return args;
    }
}
