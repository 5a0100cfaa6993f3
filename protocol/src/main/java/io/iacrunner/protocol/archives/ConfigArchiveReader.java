package io.iacrunner.protocol.archives;

import static io.iacrunner.protocol.archives.ArchiveRefusedException.entry;
import static io.iacrunner.protocol.archives.ArchiveRefusedException.quote;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Reads a Terraform configuration directory packed as a tar.gz, in one streamed pass, and hands each accepted entry to
 * an {@link EntrySink}: the server checks an upload with {@link EntrySink#NONE}, the agent extracts with a sink that
 * writes files. Both thereby apply the same rules, with the same {@link Reason} codes.
 *
 * <p>The gzip layer is inflated only as far as the tar reader asks, and every inflated byte is counted, so a gzip bomb
 * is stopped as soon as it crosses {@link Limits#maxTarStreamBytes()} (declared sizes are checked even earlier, before
 * any of an entry's content is read). The rules:
 *
 * <ul>
 *   <li>every entry is a regular file or a directory: links of either kind, devices, fifos and sparse files are
 *       refused. Symbolic links are refused even when they point inside the archive: Terraform does not need them,
 *       and a link that is harmless here becomes the first half of the "{@code link/evil}" two-step on any extractor
 *       that checks entries one at a time;
 *   <li>names are relative and plain (see {@link EntryNames#normalize}); the normalized names must be unique, and no
 *       file may also be used as a directory;
 *   <li>limits: entries (files and directories), size of each file, total size of the files, name length and depth,
 *       and 255 bytes per name segment; the compressed size is the caller's business;
 *   <li>at least one {@code .tf} or {@code .tf.json} file at the top level: the directory Terraform runs in.
 * </ul>
 *
 * <p>A gzip stream is read to its end, so its checksum is verified; anything but zero padding after the tar end is
 * refused. Each refusal is an {@link ArchiveRefusedException}; since it can come after the sink accepted earlier
 * entries, a sink that keeps anything must undo it then.
 */
public final class ConfigArchiveReader {
    /** A regular file of the archive: its normalized path ({@code modules/net/main.tf}) and size in bytes. */
    public record ConfigFile(String path, long size) {}

    /**
     * An accepted archive.
     *
     * @param files the regular files, in archive order
     * @param totalBytes the sum of their sizes
     * @param archiveBytes the size of the archive as read (compressed)
     * @param sha256 lowercase hex SHA-256 of the archive as read
     */
    public record Summary(List<ConfigFile> files, long totalBytes, long archiveBytes, String sha256) {
        public Summary {
            files = List.copyOf(files);
        }
    }

    private final Limits limits;

    public ConfigArchiveReader() {
        this(Limits.DEFAULTS);
    }

    public ConfigArchiveReader(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Reads {@code archive} to its end (without closing it), passing each entry to {@code sink}.
     *
     * @throws ArchiveRefusedException if the archive breaks a rule, or the sink refuses an entry
     * @throws IOException if reading {@code archive} itself fails (as thrown by it), or the sink throws one
     */
    public Summary read(InputStream archive, EntrySink sink) throws IOException {
        HashedSource source = new HashedSource(archive);
        CappedStream inflated = null;
        try {
            BufferedInputStream raw = new BufferedInputStream(source, 64 * 1024);
            requireGzip(raw);
            inflated = new CappedStream(guarded(() -> new GZIPInputStream(raw, 64 * 1024)), limits.maxTarStreamBytes());
            Walk walk = new Walk(sink);
            walk.run(inflated);
            guarded(() -> raw.transferTo(OutputStream.nullOutputStream())); // after the gzip stream: hashed, not read
            return new Summary(walk.files, walk.total, source.count(), source.sha256());
        } catch (ArchiveRefusedException e) {
            throw inflated != null && inflated.tripped() ? inflated.tooLarge() : e;
        } finally {
            if (inflated != null) inflated.release();
        }
    }

    private static void requireGzip(BufferedInputStream raw) throws IOException {
        raw.mark(2);
        int b1 = guarded(raw::read);
        int b2 = guarded(raw::read);
        raw.reset();
        if (b1 != 0x1f || b2 != 0x8b) {
            throw new ArchiveRefusedException(
                    Reason.NOT_GZIP,
                    b1 == -1
                            ? "the archive is empty; upload a .tar.gz"
                            : "the archive is not gzip-compressed; upload a .tar.gz");
        }
    }

    /** One pass through the entries. */
    private final class Walk {
        private final EntrySink sink;
        private final NameTree tree = new NameTree();
        private final byte[] buffer = new byte[64 * 1024];
        private final List<ConfigFile> files = new ArrayList<>();
        private long total;
        private int entries;
        private boolean topLevelConfig;
        private String nestedConfig; // for the hint when the configuration sits one directory down

        Walk(EntrySink sink) {
            this.sink = sink;
        }

        void run(CappedStream inflated) throws IOException {
            InputStream tarBytes = new BufferedInputStream(inflated, 8192);
            // Blocks of one record, and a stream that can be reset: the reader then consumes nothing after the tar
            // end unseen (no block padding, no peeked second end record); requireZeroPadding checks what follows.
            TarArchiveInputStream tar = new TarArchiveInputStream(
                    tarBytes,
                    TarConstants.DEFAULT_RCDSIZE,
                    TarConstants.DEFAULT_RCDSIZE,
                    StandardCharsets.UTF_8.name());
            TarArchiveEntry entry;
            while ((entry = guarded(tar::getNextEntry)) != null) {
                if (entry.isGlobalPaxHeader()) continue; // metadata for the entries after it (git archive writes one)
                String raw = entry.getName();
                if (++entries > limits.maxEntries()) {
                    throw new ArchiveRefusedException(
                            Reason.TOO_MANY_FILES,
                            "the archive has more than "
                                    + limits.maxEntries()
                                    + " entries (files and directories); the one past the limit is "
                                    + quote(raw));
                }
                String name = EntryNames.normalize(raw, limits);
                refuseLinks(entry, raw);
                if (entry.isDirectory()) directory(entry, name, raw);
                else file(tar, entry, name, raw);
            }
            requireZeroPadding(tarBytes);
            if (!topLevelConfig) {
                throw new ArchiveRefusedException(
                        Reason.NO_CONFIGURATION,
                        "the archive has no .tf or .tf.json file at its top level"
                                + (nestedConfig == null
                                        ? ""
                                        : " (" + quote(nestedConfig)
                                                + " is in a subdirectory: pack the directory's contents, not the directory)"));
            }
        }

        private void directory(TarArchiveEntry entry, String name, String raw) throws IOException {
            if (entry.getSize() != 0) {
                throw new ArchiveRefusedException(
                        Reason.CORRUPT,
                        "directory entry " + quote(raw) + " declares " + entry.getSize() + " bytes of content");
            }
            if (name.isEmpty()) return; // "./" is the configuration directory itself
            tree.add(name, raw, true);
            sink.directory(name);
        }

        private void file(TarArchiveInputStream tar, TarArchiveEntry entry, String name, String raw)
                throws IOException {
            if (!isRegularFile(entry)) {
                throw entry(
                        Reason.SPECIAL_FILE,
                        raw,
                        "is " + kind(entry) + "; only regular files and directories are allowed");
            }
            if (name.isEmpty()) throw entry(Reason.BAD_NAME, raw, "names no file");
            tree.add(name, raw, false);
            long declared = entry.getSize();
            checkSizes(raw, declared);
            Content content = new Content(tar, raw);
            sink.file(name, declared, content);
            content.transferTo(OutputStream.nullOutputStream()); // what the sink left: still counted and checked
            if (content.size != declared) {
                throw entry(Reason.CORRUPT, raw, "holds " + content.size + " bytes but declares " + declared);
            }
            total += content.size;
            files.add(new ConfigFile(name, content.size));
            if (name.endsWith(".tf") || name.endsWith(".tf.json")) {
                if (name.indexOf('/') < 0) topLevelConfig = true;
                else if (nestedConfig == null) nestedConfig = name;
            }
        }

        private void checkSizes(String raw, long size) {
            if (size > limits.maxFileBytes()) {
                throw entry(
                        Reason.FILE_TOO_LARGE,
                        raw,
                        "is larger than " + limits.maxFileBytes() + " bytes (" + size + ")");
            }
            if (total + size > limits.maxTotalBytes()) {
                throw new ArchiveRefusedException(
                        Reason.TOO_LARGE,
                        "the archive's files add up to more than " + limits.maxTotalBytes() + " bytes (at entry "
                                + quote(raw) + ")");
            }
        }

        /** Only zero padding may follow the tar end; reading to the end also makes GZIPInputStream check its CRC. */
        private void requireZeroPadding(InputStream tarBytes) throws IOException {
            int n;
            while ((n = guarded(() -> tarBytes.read(buffer))) != -1) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != 0) {
                        throw new ArchiveRefusedException(Reason.CORRUPT, "the archive holds data after the tar end");
                    }
                }
            }
        }

        /** One file's content as the sink sees it: counted, so the size limits hold before any byte passes. */
        private final class Content extends InputStream {
            private final TarArchiveInputStream tar;
            private final String raw;
            private long size;

            Content(TarArchiveInputStream tar, String raw) {
                this.tar = tar;
                this.raw = raw;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int offset, int length) throws IOException {
                int n = guarded(() -> tar.read(b, offset, length));
                if (n > 0) {
                    size += n;
                    checkSizes(raw, size);
                }
                return n;
            }
        }
    }

    /**
     * One read of the archive. Its failures are the archive's (corrupt; {@link #read} turns that into too large once
     * the cap has tripped), except where the caller's own stream failed: that failure is the caller's, as it was
     * thrown.
     */
    private static <T> T guarded(ArchiveRead<T> read) throws IOException {
        try {
            return read.run();
        } catch (ArchiveRefusedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            IOException own = HashedSource.Failure.in(e);
            if (own != null) throw own;
            String message = e.getMessage() == null || e.getMessage().isBlank()
                    ? e.getClass().getSimpleName()
                    : e.getMessage();
            throw new ArchiveRefusedException(Reason.CORRUPT, "the archive cannot be read: " + message, e);
        }
    }

    @FunctionalInterface
    private interface ArchiveRead<T> {
        T run() throws IOException;
    }

    private static void refuseLinks(TarArchiveEntry entry, String raw) {
        if (entry.isSymbolicLink()) {
            throw entry(
                    Reason.LINK,
                    raw,
                    "is a symbolic link (to " + quote(entry.getLinkName()) + "); links are not allowed");
        }
        if (entry.isLink()) {
            throw entry(
                    Reason.LINK, raw, "is a hard link (to " + quote(entry.getLinkName()) + "); links are not allowed");
        }
    }

    /** By the type flag alone ({@code isFile()} also says yes to types it does not know). */
    private static boolean isRegularFile(TarArchiveEntry entry) {
        return (entry.getLinkFlag() == TarConstants.LF_NORMAL || entry.getLinkFlag() == TarConstants.LF_OLDNORM)
                && !entry.isSparse();
    }

    private static String kind(TarArchiveEntry entry) {
        if (entry.isCharacterDevice()) return "a character device";
        if (entry.isBlockDevice()) return "a block device";
        if (entry.isFIFO()) return "a fifo";
        if (entry.isSparse()) return "a sparse file";
        return "an entry of type '" + (char) entry.getLinkFlag() + "'";
    }
}
