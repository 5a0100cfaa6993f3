package io.iacrunner.agent.sandbox;

import java.nio.file.Path;
import java.util.List;

/**
 * What one process of a task may see besides the system's read-only files: its task directory (read-write), the
 * plugin cache (written only by {@code terraform init}, read-only to everything else), and a few more paths read-only
 * (the Terraform binary, the hooks, a provider mirror). Paths are the agent's; a sandbox shows each at the same path.
 *
 * @param pluginCache null when Terraform keeps no shared cache
 * @param cacheWritable true for {@code terraform init} only: the one command allowed to write the shared cache
 */
public record SandboxMounts(Path taskDir, Path pluginCache, boolean cacheWritable, List<Path> readOnly) {
    public SandboxMounts {
        readOnly = List.copyOf(readOnly);
    }

    /** The same view with the cache read-only and {@code more} paths added read-only. */
    SandboxMounts readOnlyCache(List<Path> more) {
        return new SandboxMounts(
                taskDir,
                pluginCache,
                false,
                java.util.stream.Stream.concat(readOnly.stream(), more.stream()).toList());
    }
}
