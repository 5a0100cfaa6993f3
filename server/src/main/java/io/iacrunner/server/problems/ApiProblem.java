package io.iacrunner.server.problems;

import io.iacrunner.protocol.ErrorCodes;

/**
 * A client-visible refusal: HTTP status, machine-readable code and a message naming the problem. Any code may throw
 * it, domain and HTTP glue alike, which is why it sits below every feature and depends on none; the server's one
 * error renderer ({@code web.HttpApi}) turns it into {@code {"error": {"code", "message"}}}. Codes other modules act
 * on are in {@link ErrorCodes}.
 */
public final class ApiProblem extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;

    public ApiProblem(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiProblem badRequest(String code, String message) {
        return new ApiProblem(400, code, message);
    }

    public static ApiProblem unauthorized(String message) {
        return new ApiProblem(401, ErrorCodes.UNAUTHORIZED, message);
    }

    public static ApiProblem forbidden(String message) {
        return new ApiProblem(403, ErrorCodes.FORBIDDEN, message);
    }

    public static ApiProblem notFound(String code, String message) {
        return new ApiProblem(404, code, message);
    }

    public static ApiProblem conflict(String code, String message) {
        return new ApiProblem(409, code, message);
    }

    /** The attempt an upload names is no longer the task's running attempt: its sender must stop. */
    public static ApiProblem staleAttempt(String taskId, int attempt) {
        return conflict(
                ErrorCodes.STALE_ATTEMPT, "attempt " + attempt + " of task " + taskId + " is no longer current");
    }
}
