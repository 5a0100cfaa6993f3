package io.iacrunner.agent.terraform;

/**
 * The Terraform version a task asks for cannot be had on this agent. The message names the version and every place
 * looked (versions directory, PATH, mirror), because it is what the task's user reads: the task ends errored with it.
 */
public final class TerraformVersionException extends Exception {
    TerraformVersionException(String message) {
        super(message);
    }

    TerraformVersionException(String message, Throwable cause) {
        super(message, cause);
    }
}
