package io.iacrunner.server.web;

import io.iacrunner.server.store.StoreAvailability;

/**
 * A client-visible refusal: HTTP status, machine-readable code and a message naming the problem. Domain code throws
 * it; {@link HttpApi} renders every one as {@code {"error": {"code", "message"}}} in one place.
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
        return new ApiProblem(401, "unauthorized", message);
    }

    public static ApiProblem forbidden(String message) {
        return new ApiProblem(403, "forbidden", message);
    }

    public static ApiProblem notFound(String code, String message) {
        return new ApiProblem(404, code, message);
    }

    public static ApiProblem conflict(String code, String message) {
        return new ApiProblem(409, code, message);
    }

    /** The store cannot be reached now: the client should retry shortly (HTTP adds {@code Retry-After}). */
    public static ApiProblem storeUnavailable() {
        return new ApiProblem(503, STORE_UNAVAILABLE, StoreAvailability.MESSAGE);
    }

    public static final String STORE_UNAVAILABLE = "store_unavailable";

    /** The attempt an upload names is no longer the task's running attempt: its sender must stop. */
    public static ApiProblem staleAttempt(String taskId, int attempt) {
        return conflict("stale_attempt", "attempt " + attempt + " of task " + taskId + " is no longer current");
    }
}
