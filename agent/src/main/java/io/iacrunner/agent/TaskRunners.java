package io.iacrunner.agent;

import io.iacrunner.agent.terraform.TerraformChooser;
import io.iacrunner.agent.util.AgentClock;
import io.iacrunner.protocol.TaskAssignment;

/**
 * What every attempt the agent runs shares, and the maker of each one's {@link TaskRunner}.
 *
 * @param session the agent's identity, which asks for the attempts' job tokens
 * @param workDir where the task directories, log spools and journals are
 * @param terraforms which Terraform each task runs, and how it is started
 * @param logWebSocket whether log batches may go over the agent WebSocket (else HTTP only)
 * @param clock what the attempts' timers (max_run_time, retries, the log's linger) run on
 */
record TaskRunners(
        AgentSession session, WorkDir workDir, TerraformChooser terraforms, boolean logWebSocket, AgentClock clock) {
    TaskRunner runner(TaskAssignment task) {
        return new TaskRunner(task, this);
    }
}
