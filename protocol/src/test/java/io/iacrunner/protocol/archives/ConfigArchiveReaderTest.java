package io.iacrunner.protocol.archives;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.archives.ConfigArchiveReader.ConfigFile;
import io.iacrunner.protocol.testing.TarGz;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sink contract of the shared reader. The rules themselves are tested through its two users: the server's
 * ConfigArchiveTest and the agent's ArchiveExtractorTest both run every HostileArchives case.
 */
class ConfigArchiveReaderTest {
    private final ConfigArchiveReader reader = new ConfigArchiveReader();

    @Test
    void theSinkSeesNormalizedNamesAndExactlyEachFilesContent() throws IOException {
        List<String> seen = new ArrayList<>();
        EntrySink recording = new EntrySink() {
            @Override
            public void directory(String name) {
                seen.add("dir " + name);
            }

            @Override
            public void file(String name, long size, InputStream content) throws IOException {
                seen.add(
                        "file " + name + " " + size + " " + new String(content.readAllBytes(), StandardCharsets.UTF_8));
            }
        };
        byte[] archive = new TarGz()
                .dir("./")
                .file("./main.tf", "a")
                .dir("modules//net/")
                .file("modules/net/x.tf", "bc")
                .bytes();

        ConfigArchiveReader.Summary summary = reader.read(new ByteArrayInputStream(archive), recording);

        assertThat(seen).containsExactly("file main.tf 1 a", "dir modules/net", "file modules/net/x.tf 2 bc");
        assertThat(summary.files())
                .containsExactly(new ConfigFile("main.tf", 1), new ConfigFile("modules/net/x.tf", 2));
        assertThat(summary.totalBytes()).isEqualTo(3);
    }

    @Test
    void contentASinkLeavesUnreadIsStillCheckedAgainstTheLimits() {
        ConfigArchiveReader small = new ConfigArchiveReader(new Limits(100, 60, 3, 20, 2));
        EntrySink readsOneByte = new EntrySink() {
            @Override
            public void directory(String name) {}

            @Override
            public void file(String name, long size, InputStream content) throws IOException {
                content.read();
            }
        };
        byte[] archive = new TarGz()
                .file("main.tf", "x".repeat(60))
                .file("b.tf", "x".repeat(41))
                .bytes();

        assertThatThrownBy(() -> small.read(new ByteArrayInputStream(archive), readsOneByte))
                .isInstanceOfSatisfying(
                        ArchiveRefusedException.class, e -> assertThat(e.code()).isEqualTo("archive_too_large"));
    }

    @Test
    void aSinksOwnFailureReachesTheCallerUnchanged() {
        IOException diskFull = new IOException("disk full");
        EntrySink failing = new EntrySink() {
            @Override
            public void directory(String name) {}

            @Override
            public void file(String name, long size, InputStream content) throws IOException {
                throw diskFull;
            }
        };

        assertThatThrownBy(() ->
                        reader.read(new ByteArrayInputStream(TarGz.withConfig().bytes()), failing))
                .isSameAs(diskFull);
    }
}
