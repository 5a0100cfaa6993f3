package io.iacrunner.agent;

import io.iacrunner.agent.UnsafeArchiveException.Reason;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts a task's configuration archive (tar.gz) into its task directory. The server checked the archive when it
 * was uploaded; the agent does not rely on that and applies the same rules again while it extracts, in one streamed
 * pass:
 *
 * <ul>
 *   <li>only regular files and directories: links (symbolic or hard), devices, fifos and sparse files are refused,
 *       so the "{@code link -> /etc}, then {@code link/evil}" two-step has no first step;
 *   <li>relative, plain names: no leading {@code /} or drive letter, no {@code ..} segment, no backslash, NUL or
 *       control character, no empty name; {@code .} and empty segments are dropped; names unique after that;
 *   <li>each name is resolved against the target directory and must stay inside it; every directory on the way must
 *       be a real directory (not a link someone left there); files are created with {@code CREATE_NEW} and
 *       {@code NOFOLLOW_LINKS}, so nothing that exists is overwritten or followed;
 *   <li>the limits (entries, per-file and total size, name length and depth) are counted while inflating, so a gzip
 *       bomb stops at the limit; the inflated tar stream as a whole is capped too ({@link Limits#maxTarStreamBytes()});
 *   <li>at least one {@code .tf} or {@code .tf.json} file at the top level.
 * </ul>
 *
 * <p>Files are created 0600 and directories 0700. If any rule fails, or writing fails, everything this extraction
 * created is deleted again before the exception ({@link UnsafeArchiveException} for a rule, a plain
 * {@link IOException} for the file system) is thrown: the target is left as it was found, and nothing is ever written
 * outside it.
 */
final class ArchiveExtractor {
    private static final Logger log = LoggerFactory.getLogger(ArchiveExtractor.class);

    /** Longest single name segment, in UTF-8 bytes: Linux's NAME_MAX. */
    static final int MAX_SEGMENT_BYTES = 255;
    static final Set<PosixFilePermission> FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(FILE_PERMISSIONS);
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(DIRECTORY_PERMISSIONS);
    /** A new file only: an existing one, or a link of any kind where the file would go, fails the open. */
    private static final Set<OpenOption> CREATE_FILE =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    /**
     * What an archive may hold; the same fields and defaults as the server's {@code ConfigArchive.Limits}. An agent's
     * limits must be at least the server's, or it refuses archives the server accepted.
     *
     * @param maxTotalBytes sum of the sizes of all files, uncompressed
     * @param maxFileBytes size of any one file
     * @param maxEntries files and directories together
     * @param maxPathLength length of a normalized name, in UTF-8 bytes
     * @param maxPathDepth segments in a normalized name
     */
    record Limits(long maxTotalBytes, long maxFileBytes, int maxEntries, int maxPathLength, int maxPathDepth) {
        /** 50 MiB in all, 20 MiB per file, 2,000 entries, names of 1,024 bytes and 32 levels. */
        static final Limits DEFAULTS = new Limits(50L << 20, 20L << 20, 2_000, 1_024, 32);

        Limits {
            if (maxTotalBytes <= 0 || maxFileBytes <= 0 || maxEntries <= 0 || maxPathLength <= 0 || maxPathDepth <= 0) {
                throw new IllegalArgumentException("archive limits must be positive: " + maxTotalBytes + ", "
                        + maxFileBytes + ", " + maxEntries + ", " + maxPathLength + ", " + maxPathDepth);
            }
        }

        /** The most bytes of tar stream ever inflated: content, plus room for headers, long names, PAX and padding. */
        long maxTarStreamBytes() {
            return maxTotalBytes + (long) maxEntries * (3L * 1024 + 4L * maxPathLength) + 64L * 1024;
        }
    }

    /**
     * What was extracted.
     *
     * @param files the normalized paths of the regular files, in archive order
     * @param totalBytes the sum of their sizes
     * @param sha256 lowercase hex SHA-256 of the archive as received, to compare with the one the server recorded
     */
    record Extracted(List<String> files, long totalBytes, String sha256) {
        Extracted {
            files = List.copyOf(files);
        }
    }

    private final Limits limits;

    ArchiveExtractor() {
        this(Limits.DEFAULTS);
    }

    ArchiveExtractor(Limits limits) {
        this.limits = limits;
    }

    Extracted extract(byte[] archive, Path target) throws IOException {
        return extract(new ByteArrayInputStream(archive), target);
    }

    /**
     * Extracts {@code archive} (read to its end, not closed) into {@code target}, an existing directory.
     *
     * @throws UnsafeArchiveException if the archive breaks a rule; nothing of it is left in {@code target}
     * @throws IOException if the file system fails; nothing of the archive is left in {@code target} either
     */
    Extracted extract(InputStream archive, Path target) throws IOException {
        Path root = target.toRealPath();
        if (!Files.readAttributes(root, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isDirectory()) {
            throw new IOException(target + " is not a directory");
        }
        Hashing source = new Hashing(archive);
        Inflated inflated = null;
        List<Path> created = new ArrayList<>();
        try {
            BufferedInputStream raw = new BufferedInputStream(source, 64 * 1024);
            raw.mark(2);
            int b1 = raw.read();
            int b2 = raw.read();
            raw.reset();
            if (b1 != 0x1f || b2 != 0x8b) {
                throw new UnsafeArchiveException(Reason.NOT_GZIP,
                        b1 == -1 ? "the archive is empty" : "the archive is not gzip-compressed");
            }
            GZIPInputStream gzip;
            try {
                gzip = new GZIPInputStream(raw, 64 * 1024);
            } catch (IOException e) {
                throw new UnsafeArchiveException(Reason.CORRUPT, "the archive cannot be read: " + describe(e), e);
            }
            inflated = new Inflated(gzip, limits.maxTarStreamBytes());
            Extraction extraction = new Extraction(root, inflated, created);
            extraction.run();
            drain(raw); // bytes after the gzip stream: hashed, not interpreted
            return new Extracted(extraction.files, extraction.total, source.sha256());
        } catch (IOException | RuntimeException e) {
            IOException failure = inflated != null && inflated.tripped ? inflated.tooLarge()
                    : e instanceof IOException io ? io
                    : new UnsafeArchiveException(Reason.CORRUPT, "the archive cannot be read: " + describe(e), e);
            rollBack(created, failure);
            throw failure;
        } finally {
            if (inflated != null) inflated.release();
        }
    }

    /** One extraction's walk through the entries. */
    private final class Extraction {
        private final Path root;
        private final Inflated inflated;
        private final List<Path> created;
        private final Map<String, Kind> names = new HashMap<>();
        private final byte[] buffer = new byte[64 * 1024];
        final List<String> files = new ArrayList<>();
        long total;

        Extraction(Path root, Inflated inflated, List<Path> created) {
            this.root = root;
            this.inflated = inflated;
            this.created = created;
        }

        void run() throws IOException {
            InputStream tarBytes = new BufferedInputStream(inflated, 8192);
            // Blocks of one record, and a stream that can be reset: the reader then consumes nothing after the tar
            // end unseen (no block padding, no peeked second end record); the loop below checks what follows.
            TarArchiveInputStream tar = new TarArchiveInputStream(tarBytes, TarConstants.DEFAULT_RCDSIZE,
                    TarConstants.DEFAULT_RCDSIZE, StandardCharsets.UTF_8.name());
            int entries = 0;
            boolean topLevelConfig = false;
            String nestedConfig = null; // for the hint when the configuration sits one directory down
            TarArchiveEntry entry;
            while ((entry = readArchive(tar::getNextEntry)) != null) {
                if (entry.isGlobalPaxHeader()) continue; // metadata for the entries after it (git archive writes one)
                String raw = entry.getName();
                if (++entries > limits.maxEntries()) {
                    throw new UnsafeArchiveException(Reason.TOO_MANY_FILES, "the archive has more than "
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
                        throw new UnsafeArchiveException(Reason.CORRUPT, "directory entry " + quote(raw) + " declares "
                                + entry.getSize() + " bytes of content");
                    }
                    if (name.isEmpty()) continue; // "./": the target itself
                    record(name, raw, true);
                    Path dir = inside(name, raw);
                    makeParents(name, raw);
                    makeDirectory(dir, raw);
                    continue;
                }
                if (!isRegularFile(entry)) {
                    throw entry(Reason.SPECIAL_FILE, raw, "is " + kind(entry)
                            + "; only regular files and directories are allowed");
                }
                if (name.isEmpty()) throw entry(Reason.BAD_NAME, raw, "names no file");
                record(name, raw, false);
                checkSizes(raw, entry.getSize());
                Path file = inside(name, raw);
                makeParents(name, raw);
                long size = writeFile(tar, file, raw);
                if (size != entry.getSize()) {
                    throw entry(Reason.CORRUPT, raw, "holds " + size + " bytes but declares " + entry.getSize());
                }
                total += size;
                files.add(name);
                if (name.endsWith(".tf") || name.endsWith(".tf.json")) {
                    if (name.indexOf('/') < 0) topLevelConfig = true;
                    else if (nestedConfig == null) nestedConfig = name;
                }
            }
            // Only zero padding may follow the tar end; reading to the end also makes GZIPInputStream check its CRC.
            int n;
            while ((n = readArchive(() -> tarBytes.read(buffer))) != -1) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != 0) {
                        throw new UnsafeArchiveException(Reason.CORRUPT, "the archive holds data after the tar end");
                    }
                }
            }
            if (!topLevelConfig) {
                throw new UnsafeArchiveException(Reason.NO_CONFIGURATION,
                        "the archive has no .tf or .tf.json file at its top level"
                        + (nestedConfig == null ? "" : " (" + quote(nestedConfig) + " is in a subdirectory)"));
            }
        }

        private long writeFile(TarArchiveInputStream tar, Path file, String raw) throws IOException {
            long size = 0;
            SeekableByteChannel channel;
            try {
                channel = Files.newByteChannel(file, CREATE_FILE, FILE_ATTRIBUTE);
            } catch (FileAlreadyExistsException e) {
                throw entry(Reason.DUPLICATE_ENTRY, raw, "names a file that already exists in the task directory");
            }
            created.add(file);
            try (channel) {
                int n;
                while ((n = readArchive(() -> tar.read(buffer))) != -1) {
                    size += n;
                    checkSizes(raw, size);
                    ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                    while (bytes.hasRemaining()) channel.write(bytes);
                }
            }
            setPermissions(file, FILE_PERMISSIONS);
            return size;
        }

        private void checkSizes(String raw, long size) throws UnsafeArchiveException {
            if (size > limits.maxFileBytes()) {
                throw entry(Reason.FILE_TOO_LARGE, raw, "is larger than " + limits.maxFileBytes() + " bytes ("
                        + size + ")");
            }
            if (total + size > limits.maxTotalBytes()) {
                throw new UnsafeArchiveException(Reason.TOO_LARGE, "the archive's files add up to more than "
                        + limits.maxTotalBytes() + " bytes (at entry " + quote(raw) + ")");
            }
        }

        /** The entry's path under the target; the name rules already exclude leaving it, this checks once more. */
        private Path inside(String name, String raw) throws UnsafeArchiveException {
            Path path = root.resolve(name).normalize();
            if (!path.startsWith(root) || path.equals(root)) {
                throw entry(Reason.PATH_TRAVERSAL, raw, "resolves outside the task directory");
            }
            return path;
        }

        /** Creates the directories above {@code name} that are missing; those that exist must be real directories. */
        private void makeParents(String name, String raw) throws IOException {
            Path dir = root;
            String[] segments = name.split("/");
            for (int i = 0; i < segments.length - 1; i++) {
                dir = dir.resolve(segments[i]);
                makeDirectory(dir, raw);
            }
        }

        private void makeDirectory(Path dir, String raw) throws IOException {
            try {
                Files.createDirectory(dir, DIRECTORY_ATTRIBUTE);
                created.add(dir);
                setPermissions(dir, DIRECTORY_PERMISSIONS);
            } catch (FileAlreadyExistsException e) {
                BasicFileAttributes existing =
                        Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!existing.isDirectory()) {
                    throw entry(Reason.DUPLICATE_ENTRY, raw, "needs the directory "
                            + quote(root.relativize(dir).toString()) + ", but the task directory holds "
                            + (existing.isSymbolicLink() ? "a symbolic link" : "a file") + " there");
                }
            }
        }

        /** The names seen so far: each once, and no file where a directory is needed. */
        private void record(String name, String raw, boolean directory) throws UnsafeArchiveException {
            for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
                String parent = name.substring(0, slash);
                if (names.putIfAbsent(parent, Kind.IMPLIED_DIRECTORY) == Kind.FILE) {
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

        /** One read of the archive: its failures are the archive's (corrupt, or too large once the cap tripped). */
        private <T> T readArchive(ArchiveRead<T> read) throws IOException {
            try {
                return read.run();
            } catch (UnsafeArchiveException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                if (inflated.tripped) throw inflated.tooLarge();
                throw new UnsafeArchiveException(Reason.CORRUPT, "the archive cannot be read: " + describe(e), e);
            }
        }
    }

    @FunctionalInterface
    private interface ArchiveRead<T> {
        T run() throws IOException;
    }

    private enum Kind { FILE, DIRECTORY, IMPLIED_DIRECTORY }

    /** The name as it will be under the target: segments joined by '/', without '.' and empty ones; "" for it. */
    private String normalize(String raw) throws UnsafeArchiveException {
        if (raw.isEmpty()) throw new UnsafeArchiveException(Reason.BAD_NAME, "an entry has an empty name");
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

    /** Sets permissions on the path itself: a link there would make this fail rather than change its target. */
    private static void setPermissions(Path path, Set<PosixFilePermission> permissions) throws IOException {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(permissions);
    }

    /** Deletes what this extraction created, deepest first; a failure to do so is added to {@code failure}. */
    private static void rollBack(List<Path> created, IOException failure) {
        for (int i = created.size() - 1; i >= 0; i--) {
            Path path = created.get(i);
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                log.warn("could not delete {} after a failed extraction: {}", path, e.toString());
                failure.addSuppressed(e);
            }
        }
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
    private static UnsafeArchiveException entry(Reason reason, String raw, String problem) {
        return new UnsafeArchiveException(reason, "entry " + quote(raw) + " " + problem);
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

    private static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        while (in.read(buffer) != -1) {
            // hashed by Hashing on the way
        }
    }

    /** The inflated tar stream, counted: crossing the limit stops the reading at once. */
    private static final class Inflated extends FilterInputStream {
        private final long limit;
        private long count;
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

        UnsafeArchiveException tooLarge() {
            return new UnsafeArchiveException(Reason.TOO_LARGE, "the archive unpacks to more than " + limit
                    + " bytes of tar stream");
        }

        /** Ends the inflater; the caller's stream stays open ({@link Hashing#close()} does nothing). */
        void release() {
            try {
                close();
            } catch (IOException ignored) {
                // only the inflater is released here, and its failure changes no outcome
            }
        }

        private void counted(int n) throws UnsafeArchiveException {
            count += n;
            if (count > limit) {
                tripped = true;
                throw tooLarge();
            }
        }
    }

    /** The archive as received, hashed on the way through. */
    private static final class Hashing extends FilterInputStream {
        private final MessageDigest digest;

        Hashing(InputStream in) {
            super(in);
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JDK", e);
            }
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b != -1) digest.update((byte) b);
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) digest.update(buffer, offset, n);
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
}
