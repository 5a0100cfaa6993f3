package io.iacrunner.agent.terraform;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs Terraform (or OpenTofu) versions from a release mirror into the versions directory, at
 * {@code <versionsDir>/<product>/<version>/<product>}. The zip's SHA-256 is checked against the release's
 * {@code SHA256SUMS} before anything is taken out of it, and the extracted binary must report the version asked for
 * before it is moved into place (atomically, so a reader sees the whole binary or none).
 *
 * <p>One install per version at a time: a lock per version inside this JVM (tasks are threads) and a lock file for
 * other processes (agents sharing the directory). Whoever waited re-checks the directory after taking the locks, so
 * parallel tasks wanting the same version download it once.
 */
final class TerraformInstaller {
    private static final Logger log = LoggerFactory.getLogger(TerraformInstaller.class);
    static final long MAX_ZIP_BYTES = 512L * 1024 * 1024;
    static final long MAX_BINARY_BYTES = 512L * 1024 * 1024;
    private static final int MAX_CHECKSUMS_BYTES = 1024 * 1024;
    private static final String LOCKS = ".locks";
    private static final String TEMP = ".tmp";
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    /**
     * Keyed by lock file, for the whole JVM: a file lock is held per process, so two installers of this JVM on one
     * directory would otherwise not exclude each other (the second would get OverlappingFileLockException).
     */
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path versionsDir;
    private final Map<TerraformProduct, ReleaseMirror> mirrors;
    private final MirrorClient client;
    private final TerraformVersionProbe probe;
    private final ReleasePlatform platform;

    private TerraformInstaller(
            Path versionsDir,
            Map<TerraformProduct, ReleaseMirror> mirrors,
            MirrorClient client,
            TerraformVersionProbe probe,
            ReleasePlatform platform) {
        this.versionsDir = versionsDir;
        this.mirrors = mirrors;
        this.client = client;
        this.probe = probe;
        this.platform = platform;
    }

    /**
     * Creates the versions directory (0700) or checks that no other user can write to it: the agent runs what it
     * finds there.
     *
     * @param mirrors per product; a product not named uses its vendor's ({@link TerraformProduct#defaultMirror()})
     */
    static TerraformInstaller open(
            Path versionsDir,
            Map<TerraformProduct, ReleaseMirror> mirrors,
            MirrorClient client,
            TerraformVersionProbe probe,
            ReleasePlatform platform)
            throws IOException {
        Files.createDirectories(versionsDir, OWNER_ONLY);
        Path root = versionsDir.toRealPath();
        checkPrivate(root);
        Files.createDirectories(root.resolve(LOCKS), OWNER_ONLY);
        Files.createDirectories(root.resolve(TEMP), OWNER_ONLY);
        Map<TerraformProduct, ReleaseMirror> all = new EnumMap<>(TerraformProduct.class);
        for (TerraformProduct product : TerraformProduct.values()) {
            all.put(product, mirrors.getOrDefault(product, product.defaultMirror()));
        }
        return new TerraformInstaller(root, Map.copyOf(all), client, probe, platform);
    }

    private static void checkPrivate(Path root) throws IOException {
        PosixFileAttributes dir = Files.readAttributes(root, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (dir.permissions().contains(PosixFilePermission.GROUP_WRITE)
                || dir.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException("versions directory " + root + " is writable by other users; make it 0700 or 0755");
        }
        Path mine = Files.createTempFile(root, ".owner", "");
        try {
            if (!dir.owner().equals(Files.getOwner(mine))) {
                throw new IOException("versions directory " + root + " is not owned by the agent's user");
            }
        } finally {
            Files.delete(mine);
        }
    }

    Path versionsDir() {
        return versionsDir;
    }

    /** Where an installed version lives (whether or not it is there). {@code version} must already be validated. */
    Path installedPath(TerraformProduct product, String version) {
        return versionsDir.resolve(product.command()).resolve(version).resolve(product.command());
    }

    /** The release's directory on the product's mirror, for messages. */
    URI releaseDirectory(TerraformProduct product, String version) {
        return mirrors.get(product).directory(product, version);
    }

    /**
     * Installs the version unless it is installed already (perhaps by whoever held the lock before us).
     *
     * @param notes progress worth a line in the task's log (waiting for another install, downloading)
     * @return the installed binary
     * @throws IOException why it could not be installed; the message names the URL concerned
     */
    Path install(TerraformProduct product, String version, Consumer<String> notes)
            throws IOException, InterruptedException {
        if (!TerraformVersions.isVersion(version)) throw new IllegalArgumentException("not a version: " + version);
        String release = product.command() + " " + version;
        Path lockFile = versionsDir.resolve(LOCKS).resolve(product.command() + "_" + version + ".lock");
        ReentrantLock inJvm = JVM_LOCKS.computeIfAbsent(lockFile, file -> new ReentrantLock());
        if (!inJvm.tryLock()) {
            notes.accept("waiting for another task that is installing " + release);
            inJvm.lockInterruptibly();
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock held = channel.tryLock();
            if (held == null) {
                notes.accept("waiting for another process that is installing " + release + " (lock " + lockFile + ")");
                lockInterruptibly(channel);
            }
            return installLocked(product, version, notes); // closing the channel releases the file lock
        } finally {
            inJvm.unlock();
        }
    }

    private static void lockInterruptibly(FileChannel channel) throws IOException, InterruptedException {
        try {
            channel.lock();
        } catch (ClosedByInterruptException e) {
            Thread.interrupted(); // InterruptedException carries the interrupt from here on
            throw new InterruptedException("interrupted while waiting for " + channel);
        }
    }

    private Path installLocked(TerraformProduct product, String version, Consumer<String> notes)
            throws IOException, InterruptedException {
        Path target = installedPath(product, version);
        TerraformVersionProbe.Answer present = probe.probe(target);
        if (present.matches(version)) return target;
        String prefix = product.command() + "_" + version + "_";
        Path temp = versionsDir.resolve(TEMP);
        deleteLeftovers(temp, prefix);

        URI directory = releaseDirectory(product, version);
        String zipName = product.zipName(version, platform);
        URI zipUrl = directory.resolve(zipName);
        URI checksumsUrl = directory.resolve(product.checksumsName(version));
        notes.accept("downloading " + product.command() + " " + version + " from " + zipUrl);
        ByteArrayOutputStream checksums = new ByteArrayOutputStream();
        client.download(checksumsUrl, checksums, MAX_CHECKSUMS_BYTES);
        String expected = checksumFor(checksums.toString(StandardCharsets.UTF_8), zipName);
        if (expected == null) throw new IOException(checksumsUrl + " lists no SHA-256 for " + zipName);

        Path zip = Files.createTempFile(temp, prefix, ".zip");
        Path binary = temp.resolve(zip.getFileName().toString().replaceFirst("\\.zip$", ".bin"));
        try {
            String actual;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(zip))) {
                actual = client.download(zipUrl, out, MAX_ZIP_BYTES);
            }
            if (!MessageDigest.isEqual(
                    actual.getBytes(StandardCharsets.US_ASCII), expected.getBytes(StandardCharsets.US_ASCII))) {
                throw new IOException(zipUrl + " has SHA-256 " + actual + " but " + checksumsUrl + " says " + expected
                        + "; not installed");
            }
            try {
                ReleaseZip.extract(zip, product.command(), binary, MAX_BINARY_BYTES);
            } catch (IOException e) {
                throw new IOException(zipUrl + ": " + e.getMessage() + "; not installed", e);
            }
            Files.setPosixFilePermissions(binary, EXECUTABLE);
            TerraformVersionProbe.Answer extracted = probe.probe(binary);
            probe.forget(binary);
            if (!extracted.matches(version)) {
                throw new IOException("the " + product.command() + " in " + zipUrl + " " + extracted.describe()
                        + ", not " + version + "; not installed");
            }
            Files.createDirectories(target.getParent());
            Files.move(binary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            log.info("installed {} {} from {} in {}", product.command(), version, zipUrl, target);
            return target;
        } finally {
            Files.deleteIfExists(zip);
            Files.deleteIfExists(binary);
        }
    }

    /** Temporary files a killed install of this version left; safe to delete because we hold the version's lock. */
    private static void deleteLeftovers(Path temp, String prefix) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(temp, prefix + "*")) {
            for (Path leftover : leftovers) Files.deleteIfExists(leftover);
        }
    }

    /**
     * The SHA-256 that a {@code SHA256SUMS} file ({@code <hex>  <name>} per line, {@code *<name>} in binary mode)
     * gives for {@code fileName}, lowercase; null when it lists none.
     */
    static String checksumFor(String checksums, String fileName) {
        for (String line : checksums.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 2) continue;
            String name = fields[1].startsWith("*") ? fields[1].substring(1) : fields[1];
            if (name.equals(fileName) && fields[0].matches("[0-9a-fA-F]{64}"))
                return fields[0].toLowerCase(Locale.ROOT);
        }
        return null;
    }
}
