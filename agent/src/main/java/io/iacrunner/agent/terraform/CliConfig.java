package io.iacrunner.agent.terraform;

import java.nio.file.Path;

/**
 * The Terraform CLI configuration the agent writes into each task directory ({@code .terraformrc}, named by
 * {@code TF_CLI_CONFIG_FILE}): empty, so the machine's own (which may name a missing file, or hold credentials) is
 * never read; or, with {@code --provider-mirror}, installing every provider from that filesystem mirror (laid out as
 * {@code terraform providers mirror} writes it, packed or unpacked) instead of its registry, for agents without
 * network access to registries.
 */
public record CliConfig(String text) {
    public static final CliConfig EMPTY = new CliConfig("");

    /**
     * The configuration that installs every provider from {@code mirror}.
     *
     * @param mirror a filesystem mirror; null for {@link #EMPTY}
     */
    public static CliConfig of(Path mirror) {
        if (mirror == null) return EMPTY;
        String path = mirror.toAbsolutePath()
                .normalize()
                .toString()
                .replace("\\", "\\\\")
                .replace("\"", "\\\"");
        return new CliConfig("""
                # Written by the iac-runner agent (--provider-mirror): providers come from this directory only.
                provider_installation {
                  filesystem_mirror {
                    path = "%s"
                  }
                }
                """.formatted(path));
    }
}
