package io.iacrunner.server.configs;

import io.iacrunner.server.configs.ConfigArchiveException.Reason;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Checks an uploaded Terraform configuration directory, packed as a tar.gz, before it is stored.
 *
 * <p>The archive is read once, as a stream: the gzip layer is inflated only as far as the tar reader asks, and every
 * inflated byte is counted, so a gzip bomb is stopped as soon as it crosses {@link Limits#maxTarStreamBytes()} (its
 * declared sizes are checked even earlier, before any of an entry's content is read). The rules:
 *
 * <ul>
 *   <li>every entry is a regular file or a directory: links of either kind, devices, fifos and sparse files are
 *       refused. Symbolic links are refused even when they point inside the archive: Terraform does not need them,
 *       and a link that is harmless here becomes the first half of the "{@code link/evil}" two-step on any extractor
 *       that checks entries one at a time;
 *   <li>names are relative and plain: no leading {@code /} or drive letter, no {@code ..} segment anywhere, no
 *       backslash, NUL or other control character, no empty name. {@code .} and empty segments are dropped
 *       ({@code ./main.tf} is {@code main.tf}, as {@code tar -C dir -czf config.tgz .} writes it); the normalized
 *       names must be unique, and no file may also be used as a directory;
 *   <li>limits: entries (files and directories), size of each file, total size of the files, name length and depth,
 *       and 255 bytes per name segment; the compressed size is the HTTP body limit's business;
 *   <li>at least one {@code .tf} or {@code .tf.json} file at the top level: the directory Terraform runs in.
 * </ul>
 *
 * <p>A gzip stream is read to its end, so its checksum is verified; anything but zero padding after the tar end is
 * refused. Each refusal is a {@link ConfigArchiveException} with its {@link Reason}. The agent checks all of this again
 * while it extracts.
 */
public final class ConfigArchive {
    /** Longest single name segment (a file or directory name), in UTF-8 bytes: Linux's NAME_MAX. */
    public static final int MAX_SEGMENT_BYTES = 255;

    /**
     * What an archive may hold.
     *
     * @param maxTotalBytes sum of the sizes of all files, uncompressed
     * @param maxFileBytes size of any one file
     * @param maxEntries files and directories together
     * @param maxPathLength length of a normalized name, in UTF-8 bytes
     * @param maxPathDepth segments in a normalized name ({@code modules/net/main.tf} has 3)
     */
    public record Limits(long maxTotalBytes, long maxFileBytes, int maxEntries, int maxPathLength, int maxPathDepth) {
        /** 50 MiB in all, 20 MiB per file, 2,000 entries, names of 1,024 bytes and 32 levels. */
        public static final Limits DEFAULTS = new Limits(50L << 20, 20L << 20, 2_000, 1_024, 32);

        public Limits {
            if (maxTotalBytes <= 0 || maxFileBytes <= 0 || maxEntries <= 0 || maxPathLength <= 0 || maxPathDepth <= 0) {
                throw new IllegalArgumentException("archive limits must be positive: " + maxTotalBytes + ", "
                        + maxFileBytes + ", " + maxEntries + ", " + maxPathLength + ", " + maxPathDepth);
            }
        }

        /**
         * The most bytes of tar stream ever inflated: the files' content plus room for each entry's header, its
         * long-name or PAX records and padding, and the end blocks. Past it the archive is refused as too large, so
         * records that carry no file content (a 1 GiB "long name") cannot make anyone inflate or buffer more.
         */
        public long maxTarStreamBytes() {
            return maxTotalBytes + (long) maxEntries * (3L * 1024 + 4L * maxPathLength) + 64L * 1024;
        }
    }

    /** A regular file of the archive: its normalized path ({@code modules/net/main.tf}) and size in bytes. */
    public record ConfigFile(String path, long size) {}

    /**
     * An accepted archive.
     *
     * @param files the regular files, in archive order
     * @param totalBytes the sum of their sizes
     * @param archiveBytes the size of the archive as uploaded (compressed)
     * @param sha256 lowercase hex SHA-256 of the archive as uploaded
     */
    public record Summary(List<ConfigFile> files, long totalBytes, long archiveBytes, String sha256) {
        public Summary {
            files = List.copyOf(files);
        }
    }

    private final Limits limits;

    public ConfigArchive() {
        this(Limits.DEFAULTS);
    }

    public ConfigArchive(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** Checks an archive held in memory. */
    public Summary validate(byte[] archive) {
        try {
            return validate(new ByteArrayInputStream(archive));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /**
     * Checks an archive read from {@code archive} (the stream is read to its end, not closed; the caller bounds its
     * compressed size).
     *
     * @throws ConfigArchiveException if the archive breaks a rule
     * @throws IOException only if reading {@code archive} itself fails
     */
    public Summary validate(InputStream archive) throws IOException {
        Source source = new Source(archive);
        Inflated inflated = null;
        try {
            BufferedInputStream raw = new BufferedInputStream(source, 64 * 1024);
            raw.mark(2);
            int b1 = raw.read();
            int b2 = raw.read();
            raw.reset();
            if (b1 != 0x1f || b2 != 0x8b) {
                throw new ConfigArchiveException(Reason.NOT_GZIP,
                        b1 == -1 ? "the archive is empty; upload a .tar.gz"
                                : "the archive is not gzip-compressed; upload a .tar.gz");
            }
            inflated = new Inflated(new GZIPInputStream(raw, 64 * 1024), limits.maxTarStreamBytes());
            Content content = read(inflated);
            drain(raw); // bytes after the gzip stream: hashed, not interpreted
            return new Summary(content.files(), content.totalBytes(), source.count, source.sha256());
        } catch (ConfigArchiveException e) {
            throw tooLargeIfTripped(inflated, e);
        } catch (SourceFailure e) {
            throw e.getCause();
        } catch (IOException | RuntimeException e) {
            ConfigArchiveException tooLarge = tooLargeIfTripped(inflated, null);
            if (tooLarge != null) throw tooLarge;
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof SourceFailure failure) throw failure.getCause();
            }
            throw new ConfigArchiveException(Reason.CORRUPT, "the archive cannot be read: " + describe(e), e);
        } finally {
            if (inflated != null) inflated.release();
        }
    }

    private record Content(List<ConfigFile> files, long totalBytes) {}

    private Content read(Inflated inflated) throws IOException {
        Tree tree = new Tree();
        List<ConfigFile> files = new ArrayList<>();
        long total = 0;
        int entries = 0;
        boolean topLevelConfig = false;
        String nestedConfig = null; // for the hint when the configuration sits one directory down
        byte[] buffer = new byte[64 * 1024];
        InputStream tarBytes = new BufferedInputStream(inflated, 8192);
        // Blocks of one record, and a stream that can be reset: the reader then consumes nothing after the tar end
        // unseen (no block padding, no peeked second end record); the loop below checks what follows.
        TarArchiveInputStream tar = new TarArchiveInputStream(tarBytes, TarConstants.DEFAULT_RCDSIZE,
                TarConstants.DEFAULT_RCDSIZE, StandardCharsets.UTF_8.name());
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            if (entry.isGlobalPaxHeader()) continue; // metadata for the entries after it (git archive writes one)
            String raw = entry.getName();
            if (++entries > limits.maxEntries()) {
                throw new ConfigArchiveException(Reason.TOO_MANY_FILES, "the archive has more than "
                        + limits.maxEntries() + " entries (files and directories); the one past the limit is "
                        + quote(raw));
            }
            String name = normalize(raw);
            if (entry.isSymbolicLink()) {
                throw entry(Reason.LINK, raw, "is a symbolic link (to " + quote(entry.getLinkName())
                        + "); links are not allowed");
            }
            if (entry.isLink()) {
                throw entry(Reason.LINK, raw, "is a hard link (to " + quote(entry.getLinkName())
                        + "); links are not allowed");
            }
            if (entry.isDirectory()) {
                if (entry.getSize() != 0) {
                    throw new ConfigArchiveException(Reason.CORRUPT, "directory entry " + quote(raw) + " declares "
                            + entry.getSize() + " bytes of content");
                }
                if (!name.isEmpty()) tree.add(name, raw, true); // "./" is the configuration directory itself
                continue;
            }
            if (!isRegularFile(entry)) {
                throw entry(Reason.SPECIAL_FILE, raw, "is " + kind(entry)
                        + "; only regular files and directories are allowed");
            }
            if (name.isEmpty()) throw entry(Reason.BAD_NAME, raw, "names no file");
            tree.add(name, raw, false);
            long declared = entry.getSize();
            checkSizes(raw, declared, total);
            long size = 0;
            int n;
            while ((n = tar.read(buffer)) != -1) {
                size += n;
                checkSizes(raw, size, total);
            }
            if (size != declared) {
                throw entry(Reason.CORRUPT, raw, "holds " + size + " bytes but declares " + declared);
            }
            total += size;
            files.add(new ConfigFile(name, size));
            if (isConfiguration(name)) {
                if (name.indexOf('/') < 0) topLevelConfig = true;
                else if (nestedConfig == null) nestedConfig = name;
            }
        }
        // The tar end: only zero padding may follow it. Reading it to the end also makes GZIPInputStream check its CRC.
        int n;
        while ((n = tarBytes.read(buffer)) != -1) {
            for (int i = 0; i < n; i++) {
                if (buffer[i] != 0) {
                    throw new ConfigArchiveException(Reason.CORRUPT, "the archive holds data after the tar end");
                }
            }
        }
        if (!topLevelConfig) {
            throw new ConfigArchiveException(Reason.NO_CONFIGURATION,
                    "the archive has no .tf or .tf.json file at its top level"
                    + (nestedConfig == null ? "" : " (" + quote(nestedConfig)
                            + " is in a subdirectory: pack the directory's contents, not the directory)"));
        }
        return new Content(files, total);
    }

    private void checkSizes(String raw, long size, long totalBefore) {
        if (size > limits.maxFileBytes()) {
            throw entry(Reason.FILE_TOO_LARGE, raw, "is larger than " + limits.maxFileBytes() + " bytes (" + size
                    + ")");
        }
        if (totalBefore + size > limits.maxTotalBytes()) {
            throw new ConfigArchiveException(Reason.TOO_LARGE, "the archive's files add up to more than "
                    + limits.maxTotalBytes() + " bytes (at entry " + quote(raw) + ")");
        }
    }

    /**
     * The name as the configuration directory will hold it: segments joined by '/', without '.' and empty segments;
     * "" for the directory itself.
     */
    private String normalize(String raw) {
        if (raw.isEmpty()) throw new ConfigArchiveException(Reason.BAD_NAME, "an entry has an empty name");
        if (raw.length() > 4L * limits.maxPathLength() + 64) {
            throw entry(Reason.PATH_TOO_LONG, raw, "has a name of "
                    + raw.length() + " characters; the limit is " + limits.maxPathLength() + " bytes");
        }
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == 0) throw entry(Reason.BAD_NAME, raw, "has a NUL character in its name");
            if (c < 0x20 || c == 0x7f) {
                throw entry(Reason.BAD_NAME, raw, "has a control character in its name");
            }
            if (c == '\\') {
                throw entry(Reason.BAD_NAME, raw, "has a backslash in its name; separate directories with '/'");
            }
        }
        if (raw.startsWith("/")) {
            throw entry(Reason.ABSOLUTE_PATH, raw, "has an absolute path; names must be relative");
        }
        if (raw.length() >= 2 && raw.charAt(1) == ':' && isAsciiLetter(raw.charAt(0))) {
            throw entry(Reason.ABSOLUTE_PATH, raw, "starts with a drive letter; names must be relative");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : raw.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) continue;
            if (segment.equals("..")) {
                throw entry(Reason.PATH_TRAVERSAL, raw,
                        "has a '..' segment; names must stay inside the configuration directory");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw entry(Reason.PATH_TOO_LONG, raw, "has a name segment longer than " + MAX_SEGMENT_BYTES
                        + " bytes");
            }
            segments.add(segment);
        }
        String name = String.join("/", segments);
        if (name.getBytes(StandardCharsets.UTF_8).length > limits.maxPathLength()) {
            throw entry(Reason.PATH_TOO_LONG, raw, "has a name longer than " + limits.maxPathLength() + " bytes");
        }
        if (segments.size() > limits.maxPathDepth()) {
            throw entry(Reason.PATH_TOO_LONG, raw, "is nested deeper than " + limits.maxPathDepth() + " levels");
        }
        return name;
    }

    /** The names seen so far: each once, and no file where a directory is needed. */
    private static final class Tree {
        private enum Kind { FILE, DIRECTORY, IMPLIED_DIRECTORY }

        private final Map<String, Kind> names = new HashMap<>();

        void add(String name, String raw, boolean directory) {
            for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
                String parent = name.substring(0, slash);
                Kind kind = names.putIfAbsent(parent, Kind.IMPLIED_DIRECTORY);
                if (kind == Kind.FILE) {
                    throw entry(Reason.DUPLICATE_ENTRY, raw, "is inside " + quote(parent) + ", which is a file");
                }
            }
            Kind before = names.get(name);
            if (before == null || (directory && before == Kind.IMPLIED_DIRECTORY)) {
                names.put(name, directory ? Kind.DIRECTORY : Kind.FILE);
                return;
            }
            throw entry(Reason.DUPLICATE_ENTRY, raw, (raw.equals(name) ? "" : "(normalized " + quote(name) + ") ")
                    + (before == Kind.FILE ? "repeats the name of an earlier file" : "names an existing directory"));
        }
    }

    private static boolean isConfiguration(String name) {
        return name.endsWith(".tf") || name.endsWith(".tf.json");
    }

    /** By the type flag alone ({@code isFile()} also says yes to types it does not know). */
    private static boolean isRegularFile(TarArchiveEntry entry) {
        return (entry.getLinkFlag() == TarConstants.LF_NORMAL || entry.getLinkFlag() == TarConstants.LF_OLDNORM)
                && !entry.isSparse();
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static String kind(TarArchiveEntry entry) {
        if (entry.isCharacterDevice()) return "a character device";
        if (entry.isBlockDevice()) return "a block device";
        if (entry.isFIFO()) return "a fifo";
        if (entry.isSparse()) return "a sparse file";
        return "an entry of type '" + (char) entry.getLinkFlag() + "'";
    }

    /** A refusal that names its entry: "entry '<raw name>' <problem>". */
    private static ConfigArchiveException entry(Reason reason, String raw, String problem) {
        return new ConfigArchiveException(reason, "entry " + quote(raw) + " " + problem);
    }

    /** An entry name fit for a message: quoted, control characters escaped, long names cut. */
    static String quote(String name) {
        StringBuilder out = new StringBuilder("'");
        int shown = Math.min(name.length(), 200);
        for (int i = 0; i < shown; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        if (shown < name.length()) out.append("…");
        return out.append("'").toString();
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static ConfigArchiveException tooLargeIfTripped(Inflated inflated, ConfigArchiveException otherwise) {
        if (inflated == null || !inflated.tripped) return otherwise;
        return new ConfigArchiveException(Reason.TOO_LARGE, "the archive unpacks to more than " + inflated.limit
                + " bytes of tar stream");
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        while (in.read(buffer) != -1) {
            // hashed by Source on the way
        }
    }

    /** The inflated tar stream, counted: crossing the limit stops the reading at once. */
    private static final class Inflated extends FilterInputStream {
        final long limit;
        long count;
        boolean tripped;

        Inflated(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b != -1) counted(1);
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            // Never ask for more than one byte past the limit: inflating stops there.
            int n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, limit - count + 1)));
            if (n > 0) counted(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(Math.max(n, 1), 8192)];
            int read = read(buffer, 0, (int) Math.min(n, buffer.length));
            return Math.max(read, 0);
        }

        /** Ends the inflater; the caller's stream stays open ({@link Source#close()} does nothing). */
        void release() {
            try {
                close();
            } catch (IOException ignored) {
                // only the inflater is released here, and its failure changes no outcome
            }
        }

        private void counted(int n) {
            count += n;
            if (count > limit) {
                tripped = true;
                throw new ConfigArchiveException(Reason.TOO_LARGE, "the archive unpacks to more than " + limit
                        + " bytes of tar stream");
            }
        }
    }

    /** The archive as uploaded: counted and hashed; its own read failures are told apart from a bad archive. */
    private static final class Source extends FilterInputStream {
        private final MessageDigest digest = sha256Digest();
        long count;

        Source(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = in.read();
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
            if (b != -1) {
                digest.update((byte) b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n;
            try {
                n = in.read(buffer, offset, length);
            } catch (IOException e) {
                throw new SourceFailure(e);
            }
            if (n > 0) {
                digest.update(buffer, offset, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(Math.max(n, 1), 8192)];
            int read = read(buffer, 0, (int) Math.min(n, buffer.length));
            return Math.max(read, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() {
            // the caller's stream: the caller closes it
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    /** Reading the uploaded stream failed: the upload's problem, not the archive's. */
    private static final class SourceFailure extends IOException {
        private static final long serialVersionUID = 1L;

        SourceFailure(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
