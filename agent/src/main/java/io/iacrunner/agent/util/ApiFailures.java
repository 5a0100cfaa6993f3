package io.iacrunner.agent.util;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ErrorCodes;

/** The server's refusals the agent reacts to in several places, named once. */
public final class ApiFailures {
    private ApiFailures() {}

    /** The attempt is no longer the task's current one: whatever we still do for it is void. */
    public static boolean staleAttempt(ApiException e) {
        return e.status() == 409 && ErrorCodes.STALE_ATTEMPT.equals(e.code());
    }

    /** The server has fewer log lines than the request assumed (its store lost some): resend from what it has. */
    public static boolean logGap(ApiException e) {
        return e.status() == 409 && ErrorCodes.LOG_GAP.equals(e.code());
    }

    /** The agent token is no longer accepted, or the server forgot this agent: register again. */
    public static boolean agentRejected(ApiException e) {
        return e.status() == 401 || (e.status() == 404 && ErrorCodes.UNKNOWN_AGENT.equals(e.code()));
    }
}
