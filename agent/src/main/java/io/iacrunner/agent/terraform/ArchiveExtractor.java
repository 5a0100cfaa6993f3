package io.iacrunner.agent.terraform;

import static io.iacrunner.protocol.archives.ArchiveRefusedException.entry;
import static io.iacrunner.protocol.archives.ArchiveRefusedException.quote;

import io.iacrunner.protocol.archives.ArchiveRefusedException;
import io.iacrunner.protocol.archives.ConfigArchiveReader;
import io.iacrunner.protocol.archives.ConfigArchiveReader.ConfigFile;
import io.iacrunner.protocol.archives.ConfigArchiveReader.Summary;
import io.iacrunner.protocol.archives.EntrySink;
import io.iacrunner.protocol.archives.Limits;
import io.iacrunner.protocol.archives.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts a task's configuration archive (tar.gz) into its task directory. The server checked the archive when it
 * was uploaded; the agent does not rely on that: {@link ConfigArchiveReader} applies the same rules again while this
 * class writes, in one streamed pass. What only the file system can tell is checked here:
 *
 * <ul>
 *   <li>each name is resolved against the target directory and must stay inside it; every directory on the way must
 *       be a real directory (not a link someone left there);
 *   <li>files are created with {@code CREATE_NEW} and {@code NOFOLLOW_LINKS}, so nothing that exists is overwritten
 *       or followed: a name already taken in the target is refused as a duplicate entry.
 * </ul>
 *
 * <p>Files are created 0600 and directories 0700. If any rule fails, or writing fails, everything this extraction
 * created is deleted again before the exception ({@link UnsafeArchiveException} for a rule, a plain
 * {@link IOException} for the file system) is thrown: the target is left as it was found, and nothing is ever written
 * outside it.
 */
final class ArchiveExtractor {
    private static final Logger log = LoggerFactory.getLogger(ArchiveExtractor.class);

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

    private final ConfigArchiveReader reader;

    ArchiveExtractor() {
        this(Limits.DEFAULTS);
    }

    /** An agent's limits must be at least the server's, or it refuses archives the server accepted. */
    ArchiveExtractor(Limits limits) {
        this.reader = new ConfigArchiveReader(limits);
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
        if (!Files.readAttributes(root, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .isDirectory()) {
            throw new IOException(target + " is not a directory");
        }
        Writer writer = new Writer(root);
        try {
            Summary summary = reader.read(archive, writer);
            return new Extracted(
                    summary.files().stream().map(ConfigFile::path).toList(), summary.totalBytes(), summary.sha256());
        } catch (ArchiveRefusedException e) {
            throw writer.rollBack(new UnsafeArchiveException(e));
        } catch (IOException e) {
            throw writer.rollBack(e);
        } catch (RuntimeException e) {
            throw writer.rollBack(e);
        }
    }

    /** Writes the entries the reader accepts under {@code root}, remembering all it creates. */
    private static final class Writer implements EntrySink {
        private final Path root;
        private final List<Path> created = new ArrayList<>();

        Writer(Path root) {
            this.root = root;
        }

        @Override
        public void directory(String name) throws IOException {
            Path dir = inside(name);
            makeParents(name);
            makeDirectory(dir, name);
        }

        @Override
        public void file(String name, long size, InputStream content) throws IOException {
            Path file = inside(name);
            makeParents(name);
            OutputStream out;
            try {
                out = Channels.newOutputStream(Files.newByteChannel(file, CREATE_FILE, FILE_ATTRIBUTE));
            } catch (FileAlreadyExistsException e) {
                throw entry(Reason.DUPLICATE_ENTRY, name, "names a file that already exists in the task directory");
            }
            created.add(file);
            try (out) {
                content.transferTo(out); // the reader's stream refuses, mid-copy, a file that outgrows the limits
            }
            setPermissions(file, FILE_PERMISSIONS);
        }

        /** The entry's path under the target; the name rules already exclude leaving it, this checks once more. */
        private Path inside(String name) {
            Path path = root.resolve(name).normalize();
            if (!path.startsWith(root) || path.equals(root)) {
                throw entry(Reason.PATH_TRAVERSAL, name, "resolves outside the task directory");
            }
            return path;
        }

        /** Creates the directories above {@code name} that are missing; those that exist must be real directories. */
        private void makeParents(String name) throws IOException {
            Path dir = root;
            String[] segments = name.split("/");
            for (int i = 0; i < segments.length - 1; i++) {
                dir = dir.resolve(segments[i]);
                makeDirectory(dir, name);
            }
        }

        private void makeDirectory(Path dir, String name) throws IOException {
            try {
                Files.createDirectory(dir, DIRECTORY_ATTRIBUTE);
                created.add(dir);
                setPermissions(dir, DIRECTORY_PERMISSIONS);
            } catch (FileAlreadyExistsException e) {
                BasicFileAttributes existing =
                        Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!existing.isDirectory()) {
                    throw entry(
                            Reason.DUPLICATE_ENTRY,
                            name,
                            "needs the directory "
                                    + quote(root.relativize(dir).toString()) + ", but the task directory holds "
                                    + (existing.isSymbolicLink() ? "a symbolic link" : "a file") + " there");
                }
            }
        }

        /**
         * Deletes what this extraction created, deepest first; a failure to do so is added to {@code failure}, which
         * is returned for the caller to throw.
         */
        <E extends Exception> E rollBack(E failure) {
            for (int i = created.size() - 1; i >= 0; i--) {
                Path path = created.get(i);
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    log.warn("could not delete {} after a failed extraction: {}", path, e.toString());
                    failure.addSuppressed(e);
                }
            }
            return failure;
        }
    }

    /** Sets permissions on the path itself: a link there would make this fail rather than change its target. */
    private static void setPermissions(Path path, Set<PosixFilePermission> permissions) throws IOException {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(permissions);
    }
}
