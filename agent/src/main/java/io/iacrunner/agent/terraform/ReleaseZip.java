package io.iacrunner.agent.terraform;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Takes the one binary out of a release zip. Only that entry is ever written, and only to the given file; an archive
 * with any entry whose name could point outside a directory (absolute, {@code ..}, backslashes, a drive letter) is
 * refused as a whole, since a release built honestly has none.
 */
final class ReleaseZip {
    private ReleaseZip() {}

    /**
     * Writes the entry named {@code binaryName} (at the archive's top level) to {@code target}, which must not exist.
     * Sizes the archive declares are not trusted: the bytes actually inflated are counted against {@code maxBytes}.
     */
    static void extract(Path zip, String binaryName, Path target, long maxBytes) throws IOException {
        try (ZipFile archive = new ZipFile(zip.toFile())) {
            ZipEntry binary = null;
            for (Enumeration<? extends ZipEntry> entries = archive.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                String name = entry.getName();
                if (!isSafe(name))
                    throw new IOException("the archive holds an entry named " + printable(name) + "; refused");
                if (!name.equals(binaryName)) continue;
                if (binary != null) throw new IOException("the archive holds " + binaryName + " twice; refused");
                if (entry.isDirectory()) throw new IOException("the archive's " + binaryName + " is a directory");
                binary = entry;
            }
            if (binary == null) throw new IOException("the archive holds no file named " + binaryName);
            try (InputStream in = archive.getInputStream(binary);
                    OutputStream out =
                            Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                copy(in, out, maxBytes, binaryName);
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, long maxBytes, String name) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > maxBytes)
                throw new IOException("the archive's " + name + " is larger than " + maxBytes + " bytes; refused");
            out.write(buffer, 0, n);
        }
    }

    static boolean isSafe(String name) {
        return !name.isEmpty()
                && !name.startsWith("/")
                && name.indexOf('\\') < 0
                && name.indexOf('\0') < 0
                && !(name.length() > 1 && name.charAt(1) == ':')
                && Arrays.stream(name.split("/")).noneMatch(".."::equals);
    }

    /** Entry names come from the download: quoted, control characters escaped, cut short, before they reach a log. */
    private static String printable(String name) {
        StringBuilder out = new StringBuilder("\"");
        name.codePoints().limit(200).forEach(c -> {
            if (Character.isISOControl(c)) out.append(String.format("\\u%04x", c));
            else out.appendCodePoint(c);
        });
        return out.append('"').toString();
    }
}
