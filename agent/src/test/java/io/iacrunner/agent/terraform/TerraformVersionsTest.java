package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.iacrunner.agent.testing.FakeServer;
import io.iacrunner.agent.testing.Fixtures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Version resolution and installs against a local mirror serving real zips of this machine's Terraform. Its binary
 * is served under the version it reports (1.11.4), under a version it does not report (1.99.0), and renamed
 * {@code tofu} for OpenTofu.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TerraformVersionsTest {
    private static final String VERSION = "1.11.4";
    private static final String ZIP = "/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip";
    private static final String SUMS = "/terraform/1.11.4/terraform_1.11.4_SHA256SUMS";

    @TempDir
    static Path zips;

    private static Path terraformZip;
    private static Path tofuZip;

    @TempDir
    Path dir;

    private Path versionsDir;
    private FakeReleaseMirror mirror;
    private TerraformVersionProbe probe;
    private final List<String> notes = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void buildZips() throws IOException {
        assumeTrue(Files.isExecutable(Fixtures.TERRAFORM), "these tests need Terraform at " + Fixtures.TERRAFORM);
        String reported = new TerraformVersionProbeHelper().version(Fixtures.TERRAFORM);
        assumeTrue(VERSION.equals(reported), "these tests need Terraform " + VERSION + ", found " + reported);
        terraformZip = zip(zips.resolve("terraform.zip"), "terraform", Files.newInputStream(Fixtures.TERRAFORM));
        tofuZip = zip(zips.resolve("tofu.zip"), "tofu", Files.newInputStream(Fixtures.TERRAFORM));
    }

    @BeforeEach
    void setUp() throws IOException {
        versionsDir = dir.resolve("versions");
        mirror = new FakeReleaseMirror();
    }

    @AfterEach
    void tearDown() {
        mirror.close();
    }

    private TerraformVersions versions(List<Path> searchPath) throws IOException {
        probe = new TerraformVersionProbe(Map.of("PATH", "/usr/bin:/bin"), versionsDir, Duration.ofSeconds(30));
        Map<TerraformProduct, ReleaseMirror> mirrors = Map.of(
                TerraformProduct.TERRAFORM, ReleaseMirror.of(mirror.url()),
                // laid out like OpenTofu's GitHub releases: one directory per release, no product directory
                TerraformProduct.TOFU, ReleaseMirror.of(mirror.url() + "/opentofu/v{version}/"));
        MirrorClient client = new MirrorClient(HttpClient.newBuilder().build(), Duration.ofMinutes(2), "test");
        TerraformInstaller installer =
                TerraformInstaller.open(versionsDir, mirrors, client, probe, new ReleasePlatform("linux", "amd64"));
        return new TerraformVersions(installer, probe, searchPath);
    }

    private void serveTerraform(String version, Path zip) throws IOException {
        String name = "terraform_" + version + "_linux_amd64.zip";
        mirror.serve("/terraform/" + version + "/" + name, zip);
        mirror.serve("/terraform/" + version + "/terraform_" + version + "_SHA256SUMS", sums(name, sha256(zip)), dir);
    }

    @Test
    void installsAVersionFromTheMirrorAfterCheckingItsChecksumAndTheInstalledBinaryRuns() throws Exception {
        serveTerraform(VERSION, terraformZip);
        TerraformVersions versions = versions(List.of());

        Path binary = versions.resolve(TerraformProduct.TERRAFORM, VERSION, notes::add);

        assertThat(binary).isEqualTo(versionsDir.toRealPath().resolve("terraform/1.11.4/terraform"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(binary)))
                .isEqualTo("rwxr-xr-x");
        assertThat(new TerraformVersionProbeHelper().version(binary)).isEqualTo(VERSION);
        assertThat(notes).containsExactly("downloading terraform 1.11.4 from " + mirror.url() + ZIP);
        assertThat(mirror.requests(SUMS)).isEqualTo(1);
        assertThat(mirror.requests(ZIP)).isEqualTo(1);
        assertThat(versionsDir.resolve(".tmp")).isEmptyDirectory();

        // a second task finds it installed
        assertThat(versions.resolve(TerraformProduct.TERRAFORM, VERSION, notes::add))
                .isEqualTo(binary);
        assertThat(mirror.requests()).isEqualTo(2);
    }

    @Test
    void aZipWhoseChecksumDiffersIsRefusedAndNothingIsCached() throws Exception {
        String name = "terraform_1.11.4_linux_amd64.zip";
        mirror.serve(ZIP, terraformZip);
        mirror.serve(SUMS, sums(name, "0".repeat(64)), dir);
        TerraformVersions versions = versions(List.of());

        assertThatThrownBy(() -> versions.resolve(TerraformProduct.TERRAFORM, VERSION, notes::add))
                .isInstanceOf(TerraformVersionException.class)
                .hasMessageStartingWith("terraform 1.11.4 is not available on this agent: ")
                .hasMessageContaining(mirror.url() + ZIP + " has SHA-256 " + sha256(terraformZip))
                .hasMessageContaining("says " + "0".repeat(64) + "; not installed");
        assertThat(versionsDir.resolve("terraform")).doesNotExist();
        assertThat(versionsDir.resolve(".tmp")).isEmptyDirectory();
    }

    @Test
    void aVersionNobodyHasFailsNamingTheVersionAndEveryPlaceLooked() throws Exception {
        TerraformVersions versions = versions(List.of(Fixtures.TERRAFORM.getParent()));

        assertThatThrownBy(() -> versions.resolve(TerraformProduct.TERRAFORM, "1.99.0", notes::add))
                .isInstanceOf(TerraformVersionException.class)
                .hasMessage("terraform 1.99.0 is not available on this agent: "
                        + versionsDir.toRealPath().resolve("terraform/1.99.0/terraform") + " does not exist; "
                        + "on PATH " + Fixtures.TERRAFORM + " reports 1.11.4; "
                        + "installing from " + mirror.url() + "/terraform/1.99.0/ failed: "
                        + mirror.url() + "/terraform/1.99.0/terraform_1.99.0_SHA256SUMS answered HTTP 404");
        assertThat(mirror.requests(ZIP.replace(VERSION, "1.99.0"))).isZero();
    }

    @Test
    void aBinaryReportingAnotherVersionThanItsReleaseIsNotInstalled() throws Exception {
        serveTerraform("1.99.0", terraformZip); // checksum right, but the binary inside is 1.11.4
        TerraformVersions versions = versions(List.of());

        assertThatThrownBy(() -> versions.resolve(TerraformProduct.TERRAFORM, "1.99.0", notes::add))
                .isInstanceOf(TerraformVersionException.class)
                .hasMessageContaining(
                        "the terraform in " + mirror.url() + "/terraform/1.99.0/terraform_1.99.0_linux_amd64.zip"
                                + " reports 1.11.4, not 1.99.0; not installed");
        assertThat(versionsDir.resolve("terraform")).doesNotExist();
        assertThat(versionsDir.resolve(".tmp")).isEmptyDirectory();
    }

    @Test
    void parallelTasksWantingTheSameVersionDownloadItOnce() throws Exception {
        serveTerraform(VERSION, terraformZip);
        TerraformVersions versions = versions(List.of());
        // The first download is held until the other task says it waits for it: both are then inside resolve at once.
        CountDownLatch otherWaits = new CountDownLatch(1);
        mirror.hold(ZIP, otherWaits);
        Consumer<String> notesOfBoth = note -> {
            notes.add(note);
            if (note.startsWith("waiting for another task")) otherWaits.countDown();
        };

        ExecutorService tasks = Executors.newFixedThreadPool(2);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                results.add(tasks.submit(() -> versions.resolve(TerraformProduct.TERRAFORM, VERSION, notesOfBoth)));
            }
            Path installed = versionsDir.toRealPath().resolve("terraform/1.11.4/terraform");
            assertThat(results.get(0).get()).isEqualTo(installed);
            assertThat(results.get(1).get()).isEqualTo(installed);
        } finally {
            tasks.shutdownNow();
        }
        assertThat(mirror.requests(ZIP)).isEqualTo(1);
        assertThat(mirror.requests(SUMS)).isEqualTo(1);
        assertThat(notes)
                .containsExactlyInAnyOrder(
                        "downloading terraform 1.11.4 from " + mirror.url() + ZIP,
                        "waiting for another task that is installing terraform 1.11.4");
    }

    @Test
    void anInstallByAnotherProcessIsWaitedForAndThenUsed() throws Exception {
        serveTerraform(VERSION, terraformZip);
        TerraformVersions versions = versions(List.of());
        Path installed = versionsDir.toRealPath().resolve("terraform/1.11.4/terraform");
        Process other = holdLockInAnotherJvm(versionsDir.toRealPath().resolve(".locks/terraform_1.11.4.lock"));
        try {
            // Called on the resolving thread before it blocks on the lock: the other process finishes its install now.
            Consumer<String> finishOtherInstall = note -> {
                notes.add(note);
                if (!note.startsWith("waiting for another process")) return;
                try {
                    Files.createDirectories(installed.getParent());
                    Files.createSymbolicLink(installed, Fixtures.TERRAFORM);
                    other.getOutputStream().close(); // it lets go of the lock
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            };

            assertThat(versions.resolve(TerraformProduct.TERRAFORM, VERSION, finishOtherInstall))
                    .isEqualTo(installed);
        } finally {
            other.destroyForcibly();
        }
        assertThat(notes)
                .singleElement()
                .asString()
                .startsWith("waiting for another process that is installing terraform 1.11.4");
        assertThat(mirror.requests()).isZero();
    }

    @Test
    void aMatchingBinaryOnPathIsUsedWithoutDownloading() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other-bin"));
        fakeTerraform(other.resolve("terraform"), "1.5.7");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("terraform"), Fixtures.TERRAFORM);
        TerraformVersions versions = versions(List.of(dir.resolve("empty"), other, bin));

        assertThat(versions.resolve(TerraformProduct.TERRAFORM, VERSION, notes::add))
                .isEqualTo(bin.resolve("terraform"));
        assertThat(versions.resolve(TerraformProduct.TERRAFORM, "1.5.7", notes::add))
                .isEqualTo(other.resolve("terraform"));
        assertThat(mirror.requests()).isZero();
        assertThat(notes).isEmpty();
    }

    @Test
    void aMatchingBinaryInTheVersionsDirectoryIsUsedWithoutDownloading() throws Exception {
        TerraformVersions versions = versions(List.of());
        Path installed = versionsDir.toRealPath().resolve("terraform/1.11.4/terraform");
        Files.createDirectories(installed.getParent());
        Files.createSymbolicLink(installed, Fixtures.TERRAFORM);

        assertThat(versions.resolve(TerraformProduct.TERRAFORM, VERSION, notes::add))
                .isEqualTo(installed);
        assertThat(mirror.requests()).isZero();
    }

    @Test
    void aZipWithAnEntryOutsideItsDirectoryIsRefused() throws Exception {
        Path evil = zips.resolve("traversal.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(evil))) {
            zip.putNextEntry(new ZipEntry("terraform"));
            zip.write("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("../../escaped"));
            zip.write("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
        }
        serveTerraform(VERSION, evil);
        TerraformVersions versions = versions(List.of());

        assertThatThrownBy(() -> versions.resolve(TerraformProduct.TERRAFORM, VERSION, notes::add))
                .isInstanceOf(TerraformVersionException.class)
                .hasMessageContaining(
                        mirror.url() + ZIP + ": the archive holds an entry named \"../../escaped\"; refused");
        assertThat(versionsDir.resolve("terraform")).doesNotExist();
        assertThat(versionsDir.resolve(".tmp")).isEmptyDirectory();
        try (Stream<Path> all = Files.walk(dir)) {
            assertThat(all).noneMatch(p -> p.getFileName().toString().equals("escaped"));
        }
    }

    @Test
    void openTofuIsInstalledUnderItsOwnNames() throws Exception {
        String name = "tofu_1.11.4_linux_amd64.zip";
        mirror.serve("/opentofu/v1.11.4/" + name, tofuZip);
        mirror.serve("/opentofu/v1.11.4/tofu_1.11.4_SHA256SUMS", sums(name, sha256(tofuZip)), dir);
        TerraformVersions versions = versions(List.of());

        Path binary = versions.resolve(TerraformProduct.TOFU, VERSION, notes::add);

        assertThat(binary).isEqualTo(versionsDir.toRealPath().resolve("tofu/1.11.4/tofu"));
        assertThat(new TerraformVersionProbeHelper().version(binary)).isEqualTo(VERSION);
        assertThat(notes).containsExactly("downloading tofu 1.11.4 from " + mirror.url() + "/opentofu/v1.11.4/" + name);
        assertThat(versionsDir.resolve("terraform")).doesNotExist();
    }

    @Test
    void versionsThatCouldReachAPathOrUrlAreRefusedBeforeAnyLookup() throws Exception {
        TerraformVersions versions = versions(List.of(Fixtures.TERRAFORM.getParent()));

        for (String bad :
                List.of("../../../etc/passwd", "1.11", "1.11.4-", "1.11.4-rc1..x", "1.11.4/../1", "latest", "")) {
            assertThatThrownBy(() -> versions.resolve(TerraformProduct.TERRAFORM, bad, notes::add))
                    .as(bad)
                    .isInstanceOf(TerraformVersionException.class)
                    .hasMessageEndingWith("is not a version like 1.11.4");
        }
        assertThat(mirror.requests()).isZero();
        try (Stream<Path> entries = Files.list(versionsDir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".locks", ".tmp");
        }
    }

    // --- fixtures

    /** Runs {@code version -json} itself, without the class under test, to check what was installed. */
    private static final class TerraformVersionProbeHelper {
        String version(Path binary) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(binary.toString(), "version", "-json")
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().clear();
            builder.environment()
                    .putAll(Map.of(
                            "PATH", "/usr/bin:/bin", "CHECKPOINT_DISABLE", "1", "TF_CLI_CONFIG_FILE", "/dev/null"));
            Process process = builder.start();
            try (InputStream out = process.getInputStream()) {
                String json = new String(out.readAllBytes(), StandardCharsets.UTF_8);
                return FakeServer.JSON.readTree(json).path("terraform_version").asText();
            } finally {
                process.destroyForcibly();
            }
        }
    }

    /** A shell script answering {@code version -json} as Terraform {@code version} would. */
    private static void fakeTerraform(Path path, String version) throws IOException {
        Files.writeString(path, """
                #!/bin/sh
                echo '{"terraform_version": "%s", "platform": "linux_amd64"}'
                """.formatted(version));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A second JVM holding the install lock file, as another agent installing the version would, until its stdin closes. */
    private Process holdLockInAnotherJvm(Path lockFile) throws IOException {
        Path source = Files.writeString(dir.resolve("HoldLock.java"), """
                import java.nio.channels.FileChannel;
                import java.nio.file.Path;
                import java.nio.file.StandardOpenOption;

                public class HoldLock {
                    public static void main(String[] args) throws Exception {
                        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                                var lock = channel.lock()) {
                            System.out.println("locked");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), source.toString(), lockFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("the lock holder's first line").isEqualTo("locked");
        return process;
    }

    private static Path zip(Path target, String entryName, InputStream content) throws IOException {
        try (content;
                ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(target))) {
            zip.setLevel(Deflater.BEST_SPEED); // the binary is ~90 MB; speed over size
            zip.putNextEntry(new ZipEntry(entryName));
            content.transferTo(zip);
            zip.closeEntry();
            // a release zip also holds a licence: it must be left alone
            zip.putNextEntry(new ZipEntry("LICENSE.txt"));
            zip.write("licence text\n".getBytes(StandardCharsets.UTF_8));
        }
        return target;
    }

    private static String sums(String zipName, String sha256) {
        return "%s  %s\n%s  %s\n"
                .formatted("ab".repeat(32), zipName.replace("linux_amd64", "darwin_arm64"), sha256, zipName);
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest = MirrorClient.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
