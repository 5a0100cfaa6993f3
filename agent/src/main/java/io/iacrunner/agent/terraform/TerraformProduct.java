package io.iacrunner.agent.terraform;

import java.util.Locale;

/**
 * The Terraform CLIs an agent can run: HashiCorp's and OpenTofu's. Both answer {@code version -json} with a
 * {@code terraform_version} field and publish releases the same way (a zip per platform holding one binary named like
 * the product, and a {@code SHA256SUMS} file), so everything below differs only in the name.
 */
public enum TerraformProduct {
    TERRAFORM("terraform", "https://releases.hashicorp.com"),
    /** OpenTofu's own releases are GitHub release assets: {@code v<version>/} directly, no product directory. */
    TOFU("tofu", "https://github.com/opentofu/opentofu/releases/download/v{version}/");

    private final String command;
    private final String defaultMirror;

    TerraformProduct(String command, String defaultMirror) {
        this.command = command;
        this.defaultMirror = defaultMirror;
    }

    /** The binary's name, also the release files' prefix and the product's directory in a mirror and the versions dir. */
    public String command() {
        return command;
    }

    /** Where the product's vendor publishes its releases. */
    public ReleaseMirror defaultMirror() {
        return ReleaseMirror.of(defaultMirror);
    }

    /** {@code terraform}, {@code tofu} or {@code opentofu}, in any case. */
    public static TerraformProduct of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "terraform" -> TERRAFORM;
            case "tofu", "opentofu" -> TOFU;
            default -> throw new IllegalArgumentException("unknown product \"" + name + "\": use terraform or tofu");
        };
    }

    /** {@code terraform_1.11.4_linux_amd64.zip} */
    String zipName(String version, ReleasePlatform platform) {
        return command + "_" + version + "_" + platform.os() + "_" + platform.arch() + ".zip";
    }

    /** {@code terraform_1.11.4_SHA256SUMS} */
    String checksumsName(String version) {
        return command + "_" + version + "_SHA256SUMS";
    }
}
