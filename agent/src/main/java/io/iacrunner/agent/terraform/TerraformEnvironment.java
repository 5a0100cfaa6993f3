package io.iacrunner.agent.terraform;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Terraform's environment, built rather than inherited: the agent's own environment may hold its tokens or a cloud
 * operator's credentials, and a task's configuration can print its environment ({@code local-exec}). Only locale,
 * time zone, temp dir, TLS trust and proxy settings pass through. The provider plugin cache is the agent's, shared
 * by its tasks ({@link PluginCache}).
 *
 * <p>Terraform 1.4 and later ignore the plugin cache for a provider that the configuration's lock file does not list
 * (and a task's directory rarely brings a lock file): every run would download every provider again.
 * {@code TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE} makes Terraform use the cached package anyway. The
 * trade-off: the lock file it writes then holds only the cached package's own checksum (for this platform), not the
 * registry's signed list, and the cached package is trusted without being checked against the registry again. The
 * lock file is thrown away with the task directory, and the cache is written only by {@code terraform init} (which
 * runs no configuration code) and read-only to everything else in the sandbox ({@code Bubblewrap}), which is what
 * makes trusting it acceptable. See docs/decisions.md.
 */
public final class TerraformEnvironment {
    static final Set<String> INHERITED = Set.of(
            "PATH",
            "LANG",
            "LC_ALL",
            "TZ",
            "TMPDIR",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy");

    private TerraformEnvironment() {}

    /**
     * The environment of a task's Terraform.
     *
     * @param home its {@code HOME}: the task directory
     * @param cliConfig {@code TF_CLI_CONFIG_FILE}
     * @param pluginCache {@code TF_PLUGIN_CACHE_DIR}; null for none
     */
    public static Map<String, String> build(
            Map<String, String> agentEnvironment, Path home, Path cliConfig, Path pluginCache) {
        Map<String, String> env = new TreeMap<>();
        agentEnvironment.forEach((name, value) -> {
            if (INHERITED.contains(name)) env.put(name, value);
        });
        env.put("TF_IN_AUTOMATION", "1");
        env.put("TF_INPUT", "0");
        env.put("CHECKPOINT_DISABLE", "1");
        env.put("HOME", home.toString());
        env.put("TF_CLI_CONFIG_FILE", cliConfig.toString());
        if (pluginCache != null) {
            env.put("TF_PLUGIN_CACHE_DIR", pluginCache.toString());
            env.put("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true");
        }
        return env;
    }
}
