package io.iacrunner.server.store;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The embedded PostgreSQL's settings ({@code -c NAME=VALUE}), over the library's: a commit acknowledged is on disk
 * (WAL flushed before the reply, full pages after a checkpoint so a torn page can be repaired by replay). No Unix
 * socket: the server connects over TCP, and a socket's lock file in {@code /tmp} naming a dead (zombie) postmaster
 * would stop the restart. Public so that benchmarks start their PostgreSQL exactly as the server does: a figure
 * taken without durable commits flatters every write path.
 */
public final class EmbeddedStoreSettings {
    /** In order: PostgreSQL applies command-line options in order, so these win over the library's earlier {@code -F}. */
    public static final Map<String, String> POSTMASTER = ordered(
            "max_connections", "200",
            "timezone", "UTC",
            "unix_socket_directories", "",
            "fsync", "on",
            "synchronous_commit", "on",
            "full_page_writes", "on");

    private EmbeddedStoreSettings() {}

    private static Map<String, String> ordered(String... namesAndValues) {
        Map<String, String> config = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) config.put(namesAndValues[i], namesAndValues[i + 1]);
        return Collections.unmodifiableMap(config);
    }
}
