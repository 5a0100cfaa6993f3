package io.iacrunner.protocol.archives;

/**
 * What a configuration archive may hold. The server and the agent use the same defaults: an agent with smaller limits
 * would refuse archives the server accepted.
 *
 * @param maxTotalBytes sum of the sizes of all files, uncompressed
 * @param maxFileBytes size of any one file
 * @param maxEntries files and directories together
 * @param maxPathLength length of a normalized name, in UTF-8 bytes
 * @param maxPathDepth segments in a normalized name ({@code modules/net/main.tf} has 3)
 */
public record Limits(long maxTotalBytes, long maxFileBytes, int maxEntries, int maxPathLength, int maxPathDepth) {
    /** 50 MiB in all, 20 MiB per file, 2,000 entries, names of 1,024 bytes and 32 levels. */
    public static final Limits DEFAULTS = new Limits(50L << 20, 20L << 20, 2_000, 1_024, 32);

    public Limits {
        if (maxTotalBytes <= 0 || maxFileBytes <= 0 || maxEntries <= 0 || maxPathLength <= 0 || maxPathDepth <= 0) {
            throw new IllegalArgumentException("archive limits must be positive: " + maxTotalBytes + ", " + maxFileBytes
                    + ", " + maxEntries + ", " + maxPathLength + ", " + maxPathDepth);
        }
    }

    /**
     * The most bytes of tar stream ever inflated: the files' content plus room for each entry's header, its long-name
     * or PAX records and padding, and the end blocks. Past it the archive is refused as too large, so records that
     * carry no file content (a 1 GiB "long name") cannot make anyone inflate or buffer more.
     */
    public long maxTarStreamBytes() {
        return maxTotalBytes + (long) maxEntries * (3L * 1024 + 4L * maxPathLength) + 64L * 1024;
    }
}
