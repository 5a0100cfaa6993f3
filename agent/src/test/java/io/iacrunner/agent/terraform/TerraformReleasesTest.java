package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Release names, mirror layouts and the small parsers, without Terraform or a network. */
class TerraformReleasesTest {

    @Test
    void aPlainMirrorIsLaidOutLikeReleasesHashicorpCom() {
        ReleaseMirror mirror = ReleaseMirror.of("https://mirror.example.com/hashicorp/");
        URI dir = mirror.directory(TerraformProduct.TERRAFORM, "1.11.4");
        ReleasePlatform linux = new ReleasePlatform("linux", "amd64");

        assertThat(dir.resolve(TerraformProduct.TERRAFORM.zipName("1.11.4", linux)))
                .hasToString("https://mirror.example.com/hashicorp/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip");
        assertThat(dir.resolve(TerraformProduct.TERRAFORM.checksumsName("1.11.4")))
                .hasToString("https://mirror.example.com/hashicorp/terraform/1.11.4/terraform_1.11.4_SHA256SUMS");
        assertThat(TerraformProduct.TERRAFORM.defaultMirror().directory(TerraformProduct.TERRAFORM, "1.11.4"))
                .hasToString("https://releases.hashicorp.com/terraform/1.11.4/");
    }

    @Test
    void aMirrorWithAVersionPlaceholderNamesEachReleasesDirectoryItself() {
        URI dir = TerraformProduct.TOFU.defaultMirror().directory(TerraformProduct.TOFU, "1.9.0");

        assertThat(dir.resolve(TerraformProduct.TOFU.zipName("1.9.0", new ReleasePlatform("linux", "arm64"))))
                .hasToString(
                        "https://github.com/opentofu/opentofu/releases/download/v1.9.0/tofu_1.9.0_linux_arm64.zip");
        assertThat(dir.resolve(TerraformProduct.TOFU.checksumsName("1.9.0")))
                .hasToString("https://github.com/opentofu/opentofu/releases/download/v1.9.0/tofu_1.9.0_SHA256SUMS");
        assertThat(ReleaseMirror.of("https://tofu.internal/{version}").directory(TerraformProduct.TOFU, "1.9.0"))
                .hasToString("https://tofu.internal/1.9.0/");
    }

    @Test
    void mirrorsThatAreNotHttpUrlsAreRefused() {
        for (String bad : List.of(
                "file:///srv/releases",
                "ftp://mirror/",
                "mirror.example.com",
                "https://mirror/?x=1",
                "https://mi rror/")) {
            assertThatThrownBy(() -> ReleaseMirror.of(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void platformsAreSpelledAsInReleaseNames() {
        assertThat(ReleasePlatform.of("Linux", "amd64")).isEqualTo(new ReleasePlatform("linux", "amd64"));
        assertThat(ReleasePlatform.of("Linux", "aarch64")).isEqualTo(new ReleasePlatform("linux", "arm64"));
        assertThat(ReleasePlatform.of("Mac OS X", "x86_64")).isEqualTo(new ReleasePlatform("darwin", "amd64"));
    }

    @Test
    void theChecksumOfOneFileIsFoundInSha256Sums() {
        String sums = """
                %s  terraform_1.11.4_darwin_arm64.zip
                %s *terraform_1.11.4_linux_amd64.zip
                not a line
                """.formatted("a".repeat(64), "B".repeat(64));

        assertThat(TerraformInstaller.checksumFor(sums, "terraform_1.11.4_linux_amd64.zip"))
                .isEqualTo("b".repeat(64));
        assertThat(TerraformInstaller.checksumFor(sums, "terraform_1.11.4_linux_arm64.zip"))
                .isNull();
        assertThat(TerraformInstaller.checksumFor(
                        "abc  terraform_1.11.4_linux_amd64.zip", "terraform_1.11.4_linux_amd64.zip"))
                .isNull();
    }

    @Test
    void theTaskVersionWhichTheServerFillsFromTheWorkspaceWinsOverTheAgentsDefault() {
        assertThat(TerraformVersions.wanted("1.11.4", "1.9.0")).contains("1.11.4");
        assertThat(TerraformVersions.wanted(" ", "1.9.0")).contains("1.9.0");
        assertThat(TerraformVersions.wanted(null, null)).isEmpty();
    }

    @Test
    void versionsAreStrict() {
        assertThat(List.of("1.11.4", "0.12.31", "1.12.0-alpha20250319", "1.6.0-rc1", "1.6.0-beta.2"))
                .allMatch(TerraformVersions::isVersion);
        assertThat(List.of("1.11", "v1.11.4", "1.11.4-", "1.11.4-a..b", "1.11.4/..", "1.11.4 ", "1.11.4\n", "latest"))
                .noneMatch(TerraformVersions::isVersion);
    }

    @Test
    void onlyAbsolutePathEntriesAreSearched() {
        assertThat(TerraformVersions.searchPath("/usr/local/bin::bin:.:/usr/bin:/usr/local/bin/"))
                .containsExactly(Path.of("/usr/local/bin"), Path.of("/usr/bin"));
        assertThat(TerraformVersions.searchPath(null)).isEmpty();
    }

    @Test
    void versionJsonIsReadFromTerraformAndOpenTofuAndOldTerraformsText() {
        assertThat(TerraformVersionProbe.parse("{\"terraform_version\": \"1.11.4\", \"platform\": \"linux_amd64\"}"))
                .isEqualTo("1.11.4");
        assertThat(TerraformVersionProbe.parse("Terraform v0.12.31\n\nYour version of Terraform is out of date!"))
                .isEqualTo("0.12.31");
        assertThat(TerraformVersionProbe.parse("OpenTofu v1.9.0\non linux_amd64"))
                .isEqualTo("1.9.0");
        assertThat(TerraformVersionProbe.parse("")).isNull();
        assertThat(TerraformVersionProbe.parse("{\"version\": \"1.11.4\"}")).isNull();
    }

    @Test
    void zipEntryNamesThatCouldLeaveADirectoryAreUnsafe() {
        assertThat(List.of("terraform", "LICENSE.txt", "docs/README.md", "a..b"))
                .allMatch(ReleaseZip::isSafe);
        assertThat(List.of("../terraform", "a/../../b", "/usr/local/bin/terraform", "..\\x", "C:terraform", "", "a/.."))
                .noneMatch(ReleaseZip::isSafe);
    }
}
