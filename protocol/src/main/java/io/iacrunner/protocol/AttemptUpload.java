package io.iacrunner.protocol;

/**
 * What an agent sends for one attempt of a task (its phase, plan, log lines, state, result, or the attempt handed
 * back): the server takes it only with that attempt's job token, and writes it only while that attempt still runs.
 */
public interface AttemptUpload {
    int attempt();
}
