package io.iacrunner.protocol.archives;

/** Every way a configuration archive is refused: the wire code and the HTTP status it deserves. */
public enum Reason {
    /** Not a gzip stream at all (for example an uncompressed tar, a zip file or an empty body). */
    NOT_GZIP("archive_not_gzip", 400),
    /** A gzip or tar stream that cannot be read to its end: truncated, bad checksum, garbage after the tar end. */
    CORRUPT("archive_corrupt", 400),
    ABSOLUTE_PATH("archive_absolute_path", 400),
    /** A {@code ..} segment, anywhere in the name (or, on extraction, a path that resolves outside the target). */
    PATH_TRAVERSAL("archive_path_traversal", 400),
    /** An empty name, a backslash, NUL or another control character. */
    BAD_NAME("archive_bad_name", 400),
    /** A name longer or deeper than the limits, or one segment longer than 255 bytes. */
    PATH_TOO_LONG("archive_path_too_long", 400),
    /** A symbolic or hard link. */
    LINK("archive_link", 400),
    /** A device, fifo, sparse or other entry that is neither a regular file nor a directory. */
    SPECIAL_FILE("archive_special_file", 400),
    /**
     * Two entries with the same normalized name, or a file used as a directory (on extraction also: a name already
     * taken in the target directory).
     */
    DUPLICATE_ENTRY("archive_duplicate_entry", 400),
    TOO_MANY_FILES("archive_too_many_files", 413),
    FILE_TOO_LARGE("archive_file_too_large", 413),
    /** The unpacked content (or the tar stream around it) exceeds the total limit. */
    TOO_LARGE("archive_too_large", 413),
    /** No {@code .tf} or {@code .tf.json} file at the top level. */
    NO_CONFIGURATION("archive_no_configuration", 400);

    private final String code;
    private final int status;

    Reason(String code, int status) {
        this.code = code;
        this.status = status;
    }

    /** The machine-readable code, such as {@code archive_path_traversal}. */
    public String code() {
        return code;
    }

    /** 413 for the size and count limits, 400 otherwise. */
    public int status() {
        return status;
    }
}
