package io.iacrunner.protocol;

/** A request the server refused, with its machine-readable code; status 0 means the server was not reached. */
public class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public ApiException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.code = ErrorCodes.UNREACHABLE;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Worth retrying: the server was unreachable or answered with a transient failure. */
    public boolean isTransient() {
        return status == 0 || status == 502 || status == 503 || status == 504 || status == 500 || status == 429;
    }

    @Override
    public String toString() {
        return status == 0
                ? "server unreachable: " + getMessage()
                : "HTTP " + status + " " + code + ": " + getMessage();
    }
}
