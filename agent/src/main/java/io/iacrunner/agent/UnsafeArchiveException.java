package io.iacrunner.agent;

import java.io.IOException;

/**
 * A configuration archive the agent refused to extract. The codes are the server's (its {@code ConfigArchiveException}
 * codes), so a task errored by the agent names the same rule the server would have.
 */
final class UnsafeArchiveException extends IOException {
    private static final long serialVersionUID = 1L;

    enum Reason {
        NOT_GZIP("archive_not_gzip"),
        CORRUPT("archive_corrupt"),
        ABSOLUTE_PATH("archive_absolute_path"),
        PATH_TRAVERSAL("archive_path_traversal"),
        BAD_NAME("archive_bad_name"),
        PATH_TOO_LONG("archive_path_too_long"),
        LINK("archive_link"),
        SPECIAL_FILE("archive_special_file"),
        DUPLICATE_ENTRY("archive_duplicate_entry"),
        TOO_MANY_FILES("archive_too_many_files"),
        FILE_TOO_LARGE("archive_file_too_large"),
        TOO_LARGE("archive_too_large"),
        NO_CONFIGURATION("archive_no_configuration");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        String code() {
            return code;
        }
    }

    private final Reason reason;

    UnsafeArchiveException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    UnsafeArchiveException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }

    /** The machine-readable code, such as {@code archive_path_traversal}. */
    String code() {
        return reason.code();
    }

    @Override
    public String getMessage() {
        return reason.code() + ": " + super.getMessage();
    }
}
