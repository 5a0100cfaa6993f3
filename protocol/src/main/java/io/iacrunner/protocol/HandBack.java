package io.iacrunner.protocol;

/**
 * Agent → server: the agent will not run this attempt, which has not begun (no phase reported, no log line): the task
 * goes back to the queue for any agent, and the attempt does not count against the retry limit. {@code reason} says
 * why, for the task's message (say, the agent had no room for it).
 */
public record HandBack(int attempt, String reason) implements AttemptUpload {}
