package io.iacrunner.agent.terraform;

import io.iacrunner.protocol.archives.ArchiveRefusedException;
import java.io.IOException;

/**
 * A configuration archive the agent refused to extract: the shared refusal as an {@link IOException}, which is how
 * task preparation reports its failures. Its message starts with the server's code for the same rule.
 */
final class UnsafeArchiveException extends IOException {
    private static final long serialVersionUID = 1L;

    UnsafeArchiveException(ArchiveRefusedException refusal) {
        super(refusal.code() + ": " + refusal.getMessage(), refusal);
    }

    /** The machine-readable code, such as {@code archive_path_traversal}. */
    String code() {
        return ((ArchiveRefusedException) getCause()).code();
    }
}
