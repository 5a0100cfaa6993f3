package io.iacrunner.agent;

import io.iacrunner.agent.util.AgentClock;

/**
 * What the ping and pull loops share about the registered agent.
 *
 * @param session its identity on the server
 * @param tasks the attempts it runs: its capacity, and what its pings list
 * @param lease whether it may take new work
 * @param disk whether its disk has room for new work
 * @param clock what the loops wait on between rounds and retries
 */
record AgentState(AgentSession session, RunningTasks tasks, Lease lease, DiskSpace disk, AgentClock clock) {}
