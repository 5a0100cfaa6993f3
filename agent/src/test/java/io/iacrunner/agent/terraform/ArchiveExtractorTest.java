package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.archives.Limits;
import io.iacrunner.protocol.testing.CountingStream;
import io.iacrunner.protocol.testing.HostileArchives;
import io.iacrunner.protocol.testing.TarGz;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Extracting a configuration archive into a task directory: what lands there, and that nothing lands anywhere else. */
class ArchiveExtractorTest {
    /** The directory around the task directories: hostile archives aim here, and it must never change. */
    @TempDir
    static Path parent;

    private final ArchiveExtractor extractor = new ArchiveExtractor();
    private Path target;

    @BeforeAll
    static void bait() throws IOException {
        Files.writeString(parent.resolve("bait.txt"), "untouched"); // what the hard links point at
    }

    @BeforeEach
    void taskDirectory() throws IOException {
        target = Files.createTempDirectory(parent, "task-");
    }

    static Stream<Arguments> hostile() {
        return HostileArchives.cases(parent.toString());
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("hostile")
    void hostileArchivesAreRefusedAndNothingIsLeftInsideOrOutside(
            String description, Supplier<byte[]> archive, String code, String mention) throws IOException {
        Map<String, String> before = snapshot(parent);

        assertThatThrownBy(() -> extractor.extract(archive.get(), target))
                .isInstanceOfSatisfying(UnsafeArchiveException.class, e -> {
                    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
                    assertThat(e.getMessage()).startsWith(code + ": ").contains(mention);
                });
        assertThat(snapshot(parent)).isEqualTo(before);
    }

    @Test
    void aConfigurationWithAModuleIsExtractedWithOwnerOnlyPermissions() throws Exception {
        String main = "module \"net\" {\n  source = \"./modules/net\"\n}\n";
        String module = "output \"cidr\" { value = \"10.0.0.0/16\" }\n";
        String script = "#!/bin/sh\necho hi\n";
        byte[] archive = new TarGz()
                .globalHeader("comment", "0123456789abcdef0123456789abcdef01234567")
                .dir("./")
                .file("./main.tf", main)
                .dir("modules")
                .dir("modules/net/")
                .file("modules/net/main.tf", module)
                .file("modules/net/templates/user_data.sh", script)
                .file("empty.tf.json", "")
                .bytes();
        Map<String, String> outside = snapshotWithout(parent, target);

        ArchiveExtractor.Extracted extracted = extractor.extract(archive, target);

        assertThat(extracted.files())
                .containsExactly(
                        "main.tf", "modules/net/main.tf", "modules/net/templates/user_data.sh", "empty.tf.json");
        assertThat(extracted.totalBytes()).isEqualTo(main.length() + module.length() + script.length());
        assertThat(extracted.sha256())
                .isEqualTo(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(archive)));
        assertThat(Files.readString(target.resolve("main.tf"))).isEqualTo(main);
        assertThat(Files.readString(target.resolve("modules/net/main.tf"))).isEqualTo(module);
        assertThat(Files.readString(target.resolve("modules/net/templates/user_data.sh")))
                .isEqualTo(script);
        assertThat(snapshot(target))
                .isEqualTo(new TreeMap<>(Map.of(
                        "main.tf", "file rw------- " + main.length(),
                        "empty.tf.json", "file rw------- 0",
                        "modules", "dir rwx------",
                        "modules/net", "dir rwx------",
                        "modules/net/main.tf", "file rw------- " + module.length(),
                        "modules/net/templates", "dir rwx------",
                        "modules/net/templates/user_data.sh", "file rw------- " + script.length())));
        assertThat(snapshotWithout(parent, target)).isEqualTo(outside);
    }

    @Test
    void aStreamIsExtractedLikeBytes() throws IOException {
        byte[] archive = TarGz.withConfig().bytes();
        ArchiveExtractor.Extracted fromStream = extractor.extract(new ByteArrayInputStream(archive), target);

        assertThat(fromStream.files()).containsExactly("main.tf", "modules/net/main.tf");
        Path other = Files.createTempDirectory(parent, "task-");
        assertThat(extractor.extract(archive, other)).isEqualTo(fromStream);
    }

    @Test
    void aFileAlreadyInTheTaskDirectoryIsNeitherOverwrittenNorRemoved() throws IOException {
        Files.writeString(target.resolve("main.tf.json"), "{}");
        byte[] archive =
                TarGz.withConfig().file("main.tf.json", "{\"resource\": {}}").bytes();

        assertThatThrownBy(() -> extractor.extract(archive, target))
                .isInstanceOfSatisfying(
                        UnsafeArchiveException.class, e -> assertThat(e.code()).isEqualTo("archive_duplicate_entry"));
        assertThat(snapshot(target)).containsOnlyKeys("main.tf.json");
        assertThat(Files.readString(target.resolve("main.tf.json"))).isEqualTo("{}");
    }

    @Test
    void aLinkLeftInTheTaskDirectoryIsNeverFollowed() throws IOException {
        Path elsewhere = Files.createTempDirectory(parent, "elsewhere-");
        Files.createSymbolicLink(target.resolve("modules"), elsewhere);
        Files.createSymbolicLink(target.resolve("main.tf"), parent.resolve("evil.tf")); // dangling
        Map<String, String> before = snapshot(parent);

        assertThatThrownBy(() -> extractor.extract(
                        new TarGz()
                                .file("other.tf", "")
                                .file("modules/evil.tf", "x")
                                .bytes(),
                        target))
                .isInstanceOfSatisfying(UnsafeArchiveException.class, e -> {
                    assertThat(e.code()).isEqualTo("archive_duplicate_entry");
                    assertThat(e.getMessage()).contains("'modules'", "symbolic link");
                });
        assertThatThrownBy(
                        () -> extractor.extract(new TarGz().file("main.tf", "x").bytes(), target))
                .isInstanceOfSatisfying(
                        UnsafeArchiveException.class, e -> assertThat(e.code()).isEqualTo("archive_duplicate_entry"));
        assertThat(snapshot(parent)).isEqualTo(before);
        assertThat(parent.resolve("evil.tf")).doesNotExist();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bombs")
    void aGzipBombIsStoppedLongBeforeItIsAllInflated(String description, Supplier<byte[]> bomb, String code)
            throws IOException {
        byte[] archive = bomb.get();
        CountingStream in = new CountingStream(new ByteArrayInputStream(archive));
        Map<String, String> before = snapshot(parent);

        assertThatThrownBy(() -> extractor.extract(in, target))
                .isInstanceOfSatisfying(
                        UnsafeArchiveException.class, e -> assertThat(e.code()).isEqualTo(code));
        assertThat(in.count()).as("compressed bytes read of " + archive.length).isLessThan(archive.length / 4);
        assertThat(snapshot(parent)).isEqualTo(before);
    }

    static Stream<Arguments> bombs() {
        return Stream.of(
                Arguments.of("1 GiB of zeros in one file", HostileArchives.ONE_GIB_FILE, "archive_file_too_large"),
                Arguments.of("1 GiB of zeros as a long name", HostileArchives.ONE_GIB_LONG_NAME, "archive_too_large"));
    }

    @Test
    void aFileCutOffByTheLimitWhileStreamingIsRemoved() throws IOException {
        ArchiveExtractor small = new ArchiveExtractor(new Limits(1_000, 600, 10, 100, 4));
        byte[] archive = new TarGz()
                .file("main.tf", "x".repeat(500))
                .file("b.tf", "y".repeat(501))
                .bytes();

        assertThatThrownBy(() -> small.extract(archive, target))
                .isInstanceOfSatisfying(
                        UnsafeArchiveException.class, e -> assertThat(e.code()).isEqualTo("archive_too_large"));
        assertThat(snapshot(target)).isEmpty();
    }

    /** Every path under {@code root} (links not followed) with its type, permissions and size. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (path.equals(root)) continue;
                PosixFileAttributes attributes =
                        Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String permissions = PosixFilePermissions.toString(attributes.permissions());
                String description = attributes.isSymbolicLink()
                        ? "link " + Files.readSymbolicLink(path)
                        : attributes.isDirectory()
                                ? "dir " + permissions
                                : "file " + permissions + " " + attributes.size();
                entries.put(root.relativize(path).toString(), description);
            }
        }
        return entries;
    }

    private static Map<String, String> snapshotWithout(Path root, Path excluded) throws IOException {
        Map<String, String> entries = snapshot(root);
        String prefix = root.relativize(excluded) + "/";
        entries.keySet().removeIf(path -> path.startsWith(prefix));
        return entries;
    }
}
