package io.iacrunner.protocol.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The archives both sides must refuse, with the code and a part of the message each must give: one list for the
 * server's ConfigArchiveTest and the agent's ArchiveExtractorTest (from this module's test jar).
 */
public final class HostileArchives {
    private HostileArchives() {}

    public static final long GIB = 1L << 30;
    public static final long MIB = 1L << 20;

    /** 1 GiB of zeros in one regular file: ~1 MB compressed, refused on its declared size. */
    public static final Supplier<byte[]> ONE_GIB_FILE =
            memo(() -> TarGz.withConfig().zeros("zeros.bin", GIB).bytes());
    /** 1 GiB of zeros as a GNU long name, a record no file limit applies to: stopped by the tar stream cap. */
    public static final Supplier<byte[]> ONE_GIB_LONG_NAME = memo(() -> TarGz.withConfig()
            .special("././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME, GIB)
            .file("after.tf", "")
            .bytes());

    /**
     * Each case: description, archive, code, a part of the message. {@code outside} is a directory outside the
     * configuration (the agent's tests pass one they watch).
     */
    public static Stream<Arguments> cases(String outside) {
        return Stream.of(
                of(
                        "parent segment",
                        () -> TarGz.withConfig().file("../evil.tf", "x").bytes(),
                        "archive_path_traversal",
                        "'../evil.tf'"),
                of(
                        "parent segment deeper down",
                        () -> TarGz.withConfig().file("a/../../evil", "x").bytes(),
                        "archive_path_traversal",
                        "'a/../../evil'"),
                of(
                        "parent segment that stays inside",
                        () -> TarGz.withConfig()
                                .file("modules/../other.tf", "x")
                                .bytes(),
                        "archive_path_traversal",
                        "'modules/../other.tf'"),
                of(
                        "parent segment in a directory",
                        () -> TarGz.withConfig().dir("../up").bytes(),
                        "archive_path_traversal",
                        "'../up/'"),
                of(
                        "absolute path",
                        () -> TarGz.withConfig().file(outside + "/evil.tf", "x").bytes(),
                        "archive_absolute_path",
                        "'" + outside + "/evil.tf'"),
                of(
                        "drive letter",
                        () -> TarGz.withConfig().file("C:/evil.tf", "x").bytes(),
                        "archive_absolute_path",
                        "'C:/evil.tf'"),
                of(
                        "symlink out",
                        () -> TarGz.withConfig().symlink("link", outside).bytes(),
                        "archive_link",
                        "'link' is a symbolic link"),
                of(
                        "symlink then a file through it",
                        () -> TarGz.withConfig()
                                .symlink("link", outside)
                                .file("link/evil.tf", "x")
                                .bytes(),
                        "archive_link",
                        "'link'"),
                of(
                        "symlink that stays inside",
                        () -> TarGz.withConfig().symlink("alias.tf", "main.tf").bytes(),
                        "archive_link",
                        "'alias.tf'"),
                of(
                        "hard link",
                        () -> TarGz.withConfig()
                                .hardLink("bait", outside + "/bait.txt")
                                .bytes(),
                        "archive_link",
                        "'bait' is a hard link"),
                of(
                        "hard link then a file of its name",
                        () -> TarGz.withConfig()
                                .hardLink("bait", outside + "/bait.txt")
                                .file("bait", "x")
                                .bytes(),
                        "archive_link",
                        "'bait'"),
                of(
                        "character device",
                        () -> TarGz.withConfig()
                                .special("tty", TarConstants.LF_CHR, 0)
                                .bytes(),
                        "archive_special_file",
                        "'tty' is a character device"),
                of(
                        "block device",
                        () -> TarGz.withConfig()
                                .special("sda", TarConstants.LF_BLK, 0)
                                .bytes(),
                        "archive_special_file",
                        "'sda' is a block device"),
                of(
                        "fifo",
                        () -> TarGz.withConfig()
                                .special("pipe", TarConstants.LF_FIFO, 0)
                                .bytes(),
                        "archive_special_file",
                        "'pipe' is a fifo"),
                of(
                        "duplicate file",
                        () -> TarGz.withConfig().file("main.tf", "again").bytes(),
                        "archive_duplicate_entry",
                        "'main.tf'"),
                of(
                        "duplicate after normalizing",
                        () -> TarGz.withConfig()
                                .file("./modules//net/main.tf", "again")
                                .bytes(),
                        "archive_duplicate_entry",
                        "'modules/net/main.tf'"),
                of(
                        "file used as a directory",
                        () -> TarGz.withConfig()
                                .file("x.tf", "")
                                .file("x.tf/y.tf", "")
                                .bytes(),
                        "archive_duplicate_entry",
                        "which is a file"),
                of(
                        "directory then a file of its name",
                        () -> TarGz.withConfig().file("modules", "").bytes(),
                        "archive_duplicate_entry",
                        "'modules'"),
                of(
                        "directory twice",
                        () -> TarGz.withConfig().dir("extra").dir("./extra").bytes(),
                        "archive_duplicate_entry",
                        "'extra'"),
                of(
                        "backslash",
                        () -> TarGz.withConfig().file("..\\evil.tf", "x").bytes(),
                        "archive_bad_name",
                        "backslash"),
                of(
                        "NUL in a name",
                        () -> TarGz.withConfig()
                                .file("a".repeat(120) + "\0.tf", "x")
                                .bytes(),
                        "archive_bad_name",
                        "NUL"),
                of(
                        "newline in a name",
                        () -> TarGz.withConfig().file("evil\n.tf", "x").bytes(),
                        "archive_bad_name",
                        "'evil\\u000a.tf'"),
                of("empty name", () -> TarGz.withConfig().file("", "x").bytes(), "archive_bad_name", "empty name"),
                of("only dots", () -> TarGz.withConfig().file("./.", "x").bytes(), "archive_bad_name", "names no file"),
                of(
                        "segment over 255 bytes",
                        () -> TarGz.withConfig()
                                .file("m/" + "a".repeat(256) + ".tf", "x")
                                .bytes(),
                        "archive_path_too_long",
                        "255 bytes"),
                of(
                        "name over 1024 bytes",
                        () -> TarGz.withConfig()
                                .file(deep(9, 120) + "/x.tf", "x")
                                .bytes(),
                        "archive_path_too_long",
                        "1024 bytes"),
                of(
                        "33 levels deep",
                        () -> TarGz.withConfig()
                                .file(deep(33, 1) + "/x.tf", "x")
                                .bytes(),
                        "archive_path_too_long",
                        "32 levels"),
                of("gzip bomb: 1 GiB of zeros in one file", ONE_GIB_FILE, "archive_file_too_large", "'zeros.bin'"),
                of("gzip bomb: 1 GiB of zeros as a long name", ONE_GIB_LONG_NAME, "archive_too_large", "tar stream"),
                of(
                        "three files of 20 MiB",
                        () -> TarGz.withConfig()
                                .zeros("a.bin", 20 * MIB)
                                .zeros("b.bin", 20 * MIB)
                                .zeros("c.bin", 20 * MIB)
                                .bytes(),
                        "archive_too_large",
                        "'c.bin'"),
                of("2,001 files", () -> many(2_001, false), "archive_too_many_files", "2000 entries"),
                of("2,000 directories and a file", () -> many(2_000, true), "archive_too_many_files", "2000 entries"),
                of("plain tar", HostileArchives::plainTar, "archive_not_gzip", "not gzip"),
                of("text", () -> "terraform {}".getBytes(StandardCharsets.UTF_8), "archive_not_gzip", "not gzip"),
                of("nothing", () -> new byte[0], "archive_not_gzip", "empty"),
                of(
                        "truncated gzip",
                        () -> truncated(TarGz.withConfig()
                                .file("big.tf", "x".repeat(100_000))
                                .bytes()),
                        "archive_corrupt",
                        "cannot be read"),
                of(
                        "gzip of something else",
                        () -> gzip("{\"resource\": {}}".repeat(100).getBytes(StandardCharsets.UTF_8)),
                        "archive_corrupt",
                        ""),
                of(
                        "data after the tar end",
                        () -> TarGz.withConfig().bytesWithTrailer("hidden".getBytes(StandardCharsets.UTF_8)),
                        "archive_corrupt",
                        "after the tar end"),
                of("directory with content", HostileArchives::directoryWithContent, "archive_corrupt", "'d/'"),
                of(
                        "sparse file",
                        () -> TarGz.withConfig()
                                .special("sparse.tf", TarConstants.LF_GNUTYPE_SPARSE, 0)
                                .bytes(),
                        "archive_special_file",
                        "'sparse.tf'"),
                of(
                        "no configuration at all",
                        () -> new TarGz().file("README.md", "# hi").bytes(),
                        "archive_no_configuration",
                        "no .tf or .tf.json file"),
                of(
                        "configuration only in a subdirectory",
                        () -> new TarGz()
                                .dir("config")
                                .file("config/main.tf", "")
                                .bytes(),
                        "archive_no_configuration",
                        "'config/main.tf'"),
                of("empty archive", () -> new TarGz().bytes(), "archive_no_configuration", "top level"));
    }

    private static Arguments of(String description, Supplier<byte[]> archive, String code, String mention) {
        return Arguments.of(description, archive, code, mention);
    }

    public static <T> Supplier<T> memo(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) value = supplier.get();
                return value;
            }
        };
    }

    private static String deep(int levels, int segmentLength) {
        return String.join(
                "/",
                IntStream.range(0, levels)
                        .mapToObj(i -> "d".repeat(segmentLength))
                        .toList());
    }

    private static byte[] many(int count, boolean directories) {
        TarGz tar = new TarGz().file("main.tf", "");
        for (int i = 1; i < count; i++) {
            if (directories) tar.dir("d" + i);
            else tar.file("f" + i + ".tf", "");
        }
        if (directories) tar.file("last.tf", "");
        return tar.bytes();
    }

    /** A tar archive without gzip: the gzip stream's own bytes ungzipped. */
    private static byte[] plainTar() {
        try (var in = new java.util.zip.GZIPInputStream(
                new java.io.ByteArrayInputStream(TarGz.withConfig().bytes()))) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] gzip(byte[] content) {
        var out = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(content);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A directory entry declaring 10 bytes of content (no writer makes one: a file's header is patched). */
    private static byte[] directoryWithContent() {
        var tarBytes = new java.io.ByteArrayOutputStream();
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tarBytes)) {
            var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("d");
            entry.setSize(10);
            tar.putArchiveEntry(entry);
            tar.write("xxxxxxxxxx".getBytes(StandardCharsets.US_ASCII));
            tar.closeArchiveEntry();
            var main = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("main.tf");
            tar.putArchiveEntry(main);
            tar.closeArchiveEntry();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        byte[] bytes = tarBytes.toByteArray();
        bytes[156] = TarConstants.LF_DIR; // the first header's type flag
        Arrays.fill(bytes, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += bytes[i] & 0xff;
        byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(checksum, 0, bytes, 148, 8);
        return gzip(bytes);
    }

    private static byte[] truncated(byte[] archive) {
        return Arrays.copyOf(archive, archive.length / 2);
    }
}
