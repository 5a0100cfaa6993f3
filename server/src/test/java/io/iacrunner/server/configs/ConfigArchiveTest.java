package io.iacrunner.server.configs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.archives.ArchiveRefusedException;
import io.iacrunner.protocol.archives.ConfigArchiveReader;
import io.iacrunner.protocol.archives.ConfigArchiveReader.ConfigFile;
import io.iacrunner.protocol.archives.Limits;
import io.iacrunner.protocol.archives.Reason;
import io.iacrunner.protocol.testing.CountingStream;
import io.iacrunner.protocol.testing.HostileArchives;
import io.iacrunner.protocol.testing.TarGz;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the server accepts as a configuration archive, and every way it refuses one. */
class ConfigArchiveTest {
    private final ConfigArchive archives = new ConfigArchive();

    static Stream<Arguments> hostile() {
        return HostileArchives.cases("/etc");
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("hostile")
    void hostileArchivesAreRefusedWithACodeAndAMessageNamingTheProblem(
            String description, Supplier<byte[]> archive, String code, String mention) {
        assertThatThrownBy(() -> archives.validate(archive.get()))
                .isInstanceOfSatisfying(ArchiveRefusedException.class, e -> {
                    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(mention);
                    assertThat(e.status())
                            .isEqualTo(code.contains("too_large") || code.contains("too_many") ? 413 : 400);
                });
    }

    @Test
    void aConfigurationWithAModuleInASubfolderPassesWithItsSummary() throws Exception {
        String main = "module \"net\" {\n  source = \"./modules/net\"\n}\n";
        String variables = "{\"variable\": {\"region\": {}}}";
        String module = "output \"cidr\" { value = \"10.0.0.0/16\" }\n";
        String script = "#!/bin/sh\necho hi\n";
        byte[] archive = new TarGz()
                .globalHeader("comment", "0123456789abcdef0123456789abcdef01234567") // as git archive writes
                .dir("./")
                .file("./main.tf", main)
                .file("variables.tf.json", variables)
                .dir("modules/")
                .dir("modules/net")
                .file("modules/net/main.tf", module)
                .file("modules/net/templates/user_data.sh", script)
                .file("README.md", "")
                .bytes();

        ConfigArchiveReader.Summary summary = archives.validate(archive);

        assertThat(summary.files())
                .containsExactly(
                        new ConfigFile("main.tf", main.length()),
                        new ConfigFile("variables.tf.json", variables.length()),
                        new ConfigFile("modules/net/main.tf", module.length()),
                        new ConfigFile("modules/net/templates/user_data.sh", script.length()),
                        new ConfigFile("README.md", 0));
        assertThat(summary.totalBytes())
                .isEqualTo(main.length() + variables.length() + module.length() + script.length());
        assertThat(summary.archiveBytes()).isEqualTo(archive.length);
        assertThat(summary.sha256())
                .isEqualTo(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(archive)));
        assertThat(archives.validate(new ByteArrayInputStream(archive))).isEqualTo(summary);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bombs")
    void aGzipBombIsStoppedLongBeforeItIsAllInflated(String description, Supplier<byte[]> bomb, String code) {
        byte[] archive = bomb.get();
        assertThat(archive.length).as("the bomb stays small").isLessThan(2_000_000);
        CountingStream in = new CountingStream(new ByteArrayInputStream(archive));

        assertThatThrownBy(() -> archives.validate(in))
                .isInstanceOfSatisfying(
                        ArchiveRefusedException.class, e -> assertThat(e.code()).isEqualTo(code));
        assertThat(in.count()).as("compressed bytes read of " + archive.length).isLessThan(archive.length / 4);
    }

    static Stream<Arguments> bombs() {
        return Stream.of(
                Arguments.of("1 GiB of zeros in one file", HostileArchives.ONE_GIB_FILE, "archive_file_too_large"),
                Arguments.of("1 GiB of zeros as a long name", HostileArchives.ONE_GIB_LONG_NAME, "archive_too_large"));
    }

    @Test
    void limitsAreConfigurable() {
        ConfigArchive small = new ConfigArchive(new Limits(100, 60, 3, 20, 2));
        assertThat(small.validate(new TarGz()
                                .file("main.tf", "x".repeat(60))
                                .file("b.tf", "x".repeat(40))
                                .bytes())
                        .totalBytes())
                .isEqualTo(100);
        assertThat(codeOf(small, new TarGz().file("main.tf", "x".repeat(61)).bytes()))
                .isEqualTo("archive_file_too_large");
        assertThat(codeOf(
                        small,
                        new TarGz()
                                .file("main.tf", "x".repeat(60))
                                .file("b.tf", "x".repeat(41))
                                .bytes()))
                .isEqualTo("archive_too_large");
        assertThat(codeOf(
                        small,
                        new TarGz()
                                .file("main.tf", "")
                                .file("a.tf", "")
                                .file("b.tf", "")
                                .file("c.tf", "")
                                .bytes()))
                .isEqualTo("archive_too_many_files");
        assertThat(codeOf(
                        small,
                        new TarGz().file("main.tf", "").file("a/b/c.tf", "").bytes()))
                .isEqualTo("archive_path_too_long");
        assertThat(codeOf(
                        small,
                        new TarGz().file("main.tf", "").file("a".repeat(21), "").bytes()))
                .isEqualTo("archive_path_too_long");
        assertThatThrownBy(() -> new Limits(0, 1, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailingUploadStreamIsAnIoErrorNotABadArchive() {
        byte[] archive = TarGz.withConfig().file("big.tf", "x".repeat(200_000)).bytes();
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(archive)) {
            int served;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served > 100) throw new IOException("connection reset");
                int n = super.read(b, off, Math.min(len, 50));
                served += n;
                return n;
            }
        };

        assertThatThrownBy(() -> archives.validate(failing))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(ArchiveRefusedException.class)
                .hasMessage("connection reset");
    }

    @Test
    void everyReasonHasAnArchiveCode() {
        for (Reason reason : Reason.values()) {
            assertThat(reason.code()).startsWith("archive_");
            assertThat(reason.status()).isIn(400, 413);
        }
    }

    private static String codeOf(ConfigArchive archive, byte[] bytes) {
        try {
            archive.validate(bytes);
            return "accepted";
        } catch (ArchiveRefusedException e) {
            return e.code();
        }
    }
}
