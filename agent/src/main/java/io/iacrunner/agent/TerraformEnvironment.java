package io.iacrunner.agent;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Terraform's environment, built rather than inherited: the agent's own environment may hold its tokens or a cloud
 * operator's credentials, and a task's configuration can print its environment ({@code local-exec}). Only locale,
 * time zone, temp dir, TLS trust and proxy settings pass through. The provider plugin cache is the agent's, shared
 * by its tasks ({@link PluginCache}).
 */
final class TerraformEnvironment {
    static final Set<String> INHERITED = Set.of(
            "PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
            "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy");

    private TerraformEnvironment() {}

    /** @param pluginCache {@code TF_PLUGIN_CACHE_DIR}; null for none */
    static Map<String, String> build(Map<String, String> agentEnvironment, Path home, Path cliConfig, Path pluginCache) {
        Map<String, String> env = new TreeMap<>();
        agentEnvironment.forEach((name, value) -> {
            if (INHERITED.contains(name)) env.put(name, value);
        });
        env.put("TF_IN_AUTOMATION", "1");
        env.put("TF_INPUT", "0");
        env.put("CHECKPOINT_DISABLE", "1");
        env.put("HOME", home.toString());
        env.put("TF_CLI_CONFIG_FILE", cliConfig.toString());
        if (pluginCache != null) env.put("TF_PLUGIN_CACHE_DIR", pluginCache.toString());
        return env;
    }
}
