package io.iacrunner.protocol;

/**
 * The error codes ({@code {"error": {"code": …}}}, {@link ApiException#code()}) that more than one module makes or acts
 * on, named once so server, agent and CLI cannot drift apart. A code only the server makes and only people read (say
 * {@code invalid_label}) stays where it is thrown; this is the set a program relies on.
 */
public final class ErrorCodes {
    private ErrorCodes() {}

    // Any request.
    /** 401: no token, or a bad, expired or revoked one. An agent registers again. */
    public static final String UNAUTHORIZED = "unauthorized";
    /** 403: the token is genuine but may not do this. */
    public static final String FORBIDDEN = "forbidden";
    /** 413: refused by the server, or by the client before sending ({@link Limits#MAX_BODY_BYTES}). */
    public static final String BODY_TOO_LARGE = "body_too_large";
    /** 429, with {@code Retry-After}: too many credentials minted from one address. */
    public static final String RATE_LIMITED = "rate_limited";
    /** 503, with {@code Retry-After}: the server's store cannot be reached; retry shortly. */
    public static final String STORE_UNAVAILABLE = "store_unavailable";
    /** 503: this replica is shutting down; retry, on the next replica if there is one. */
    public static final String SERVER_SHUTTING_DOWN = "server_shutting_down";

    // Agents.
    /** 404: the server no longer knows the agent its token names. The agent registers again. */
    public static final String UNKNOWN_AGENT = "unknown_agent";
    /** 409: the attempt an upload names is no longer the task's running one. Its sender stops. */
    public static final String STALE_ATTEMPT = "stale_attempt";
    /** 409: the server holds fewer log lines than the request assumed. The agent resends from what it holds. */
    public static final String LOG_GAP = "log_gap";
    /**
     * 403: the agent's version is below its pool's {@code min_agent_version}; registration and pings are refused until
     * it is upgraded. The message names both versions.
     */
    public static final String AGENT_VERSION_TOO_OLD = "agent_version_too_old";

    // Plan review.
    /** 409: confirm or discard of a task that is not planned (running, finished, discarded already). */
    public static final String TASK_NOT_PLANNED = "task_not_planned";
    /**
     * 409: the state changed since the plan was made (another apply, a rollback): the plan cannot be applied. The run
     * that was to apply it ends errored, and nothing is applied.
     */
    public static final String STALE_PLAN = "stale_plan";
    /** 404 / 409: the task has no stored plan (it made none, or it was applied, discarded or purged). */
    public static final String NO_STORED_PLAN = "no_stored_plan";

    // Made by the client itself, never sent by a server.
    /** The server could not be reached at all (status 0). */
    public static final String UNREACHABLE = "unreachable";
    /** The server answered, but not with what the protocol says. */
    public static final String BAD_REPLY = "bad_reply";
}
