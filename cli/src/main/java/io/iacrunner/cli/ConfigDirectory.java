package io.iacrunner.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@code task create --config-dir DIR}: the directory as a tar.gz, paths relative to it. What Terraform makes there
 * itself ({@code .terraform/}, state files, plan files) and version control directories are left out; a link is a
 * usage error (the server refuses links: they could point anywhere on the agent).
 */
final class ConfigDirectory {
    private static final Set<String> SKIPPED_DIRS = Set.of(".terraform", ".git", ".hg", ".svn");

    private ConfigDirectory() {}

    static byte[] archive(Path dir) {
        if (!Files.isDirectory(dir)) throw new UsageException("--config-dir: " + dir + " is not a directory");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> !p.equals(dir))
                    .filter(p -> !skipped(dir.relativize(p)))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UsageException("--config-dir: cannot read " + dir + ": " + Problems.describe(e));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path file : files) {
                if (Files.isSymbolicLink(file))
                    throw new UsageException("--config-dir: " + file + " is a link; links are not sent");
                String name = dir.relativize(file).toString().replace('\\', '/');
                boolean directory = Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS);
                TarArchiveEntry entry = new TarArchiveEntry(directory ? name + "/" : name);
                if (!directory) entry.setSize(Files.size(file));
                tar.putArchiveEntry(entry);
                if (!directory) Files.copy(file, tar);
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UsageException("--config-dir: cannot archive " + dir + ": " + Problems.describe(e));
        }
        return bytes.toByteArray();
    }

    private static boolean skipped(Path relative) {
        for (Path part : relative) {
            if (SKIPPED_DIRS.contains(part.toString())) return true;
        }
        String name = relative.getFileName().toString();
        return name.endsWith(".tfstate") || name.endsWith(".tfstate.backup") || name.endsWith(".tfplan");
    }
}
