package io.iacrunner.protocol.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds tar.gz archives for the tests, hostile ones included: names are written as given (absolute, "..",
 * backslash), and long runs of zeros cost next to nothing to compress, so a 1 GiB bomb is ~1 MB and quick to make.
 * The server's and the agent's tests each have a copy.
 */
public final class TarGz {
    private final ZeroRunGzip gzip = new ZeroRunGzip();
    private final TarArchiveOutputStream tar;

    public TarGz() {
        tar = new TarArchiveOutputStream(gzip, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    /** A valid start: a root module and a child module. */
    public static TarGz withConfig() {
        return new TarGz()
                .file("main.tf", "module \"net\" {\n  source = \"./modules/net\"\n}\n")
                .file("modules/net/main.tf", "output \"cidr\" {\n  value = \"10.0.0.0/16\"\n}\n");
    }

    public TarGz file(String name, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(bytes.length);
        return entry(entry, bytes);
    }

    public TarGz dir(String name) {
        return entry(new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true), new byte[0]);
    }

    public TarGz symlink(String name, String target) {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
        entry.setLinkName(target);
        return entry(entry, new byte[0]);
    }

    public TarGz hardLink(String name, String target) {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        entry.setLinkName(target);
        return entry(entry, new byte[0]);
    }

    /** A PAX global header, as git archive writes one first ({@code comment=<commit id>}). */
    public TarGz globalHeader(String key, String value) {
        TarArchiveEntry entry = new TarArchiveEntry("pax_global_header", TarConstants.LF_PAX_GLOBAL_EXTENDED_HEADER);
        entry.addPaxHeader(key, value);
        try {
            tar.putArchiveEntry(entry); // writes the header and its records, and closes the entry
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An entry of any type flag (devices, fifos, GNU records) with {@code size} zero bytes of content. */
    public TarGz special(String name, byte typeFlag, long size) {
        TarArchiveEntry entry = new TarArchiveEntry(name, typeFlag, true);
        entry.setSize(size);
        return zeros(entry, size);
    }

    /** A regular file of {@code size} zero bytes, streamed. */
    public TarGz zeros(String name, long size) {
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(size);
        return zeros(entry, size);
    }

    public TarGz entry(TarArchiveEntry entry, byte[] content) {
        try {
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes written into the gzip stream after the tar end (the tar end itself is written by {@link #bytes()}). */
    public byte[] bytesWithTrailer(byte[] trailer) {
        try {
            tar.finish();
            gzip.write(trailer);
            tar.close();
            return gzip.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public byte[] bytes() {
        return bytesWithTrailer(new byte[0]);
    }

    private TarGz zeros(TarArchiveEntry entry, long size) {
        try {
            tar.putArchiveEntry(entry);
            byte[] zeros = new byte[1 << 16];
            for (long left = size; left > 0; left -= zeros.length)
                tar.write(zeros, 0, (int) Math.min(left, zeros.length));
            tar.closeArchiveEntry();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A gzip writer that deflates in 1 MiB chunks, each ended by a full flush (byte-aligned, no back-references
     * across it). A chunk of zeros is therefore always the same compressed bytes: they are computed once and copied.
     */
    private static final class ZeroRunGzip extends OutputStream {
        private static final int CHUNK = 1 << 20;
        private static final byte[] ZEROS = new byte[CHUNK];
        private static final byte[] DEFLATED_ZEROS =
                deflate(new Deflater(Deflater.BEST_COMPRESSION, true), ZEROS, CHUNK, false);

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        private final CRC32 crc = new CRC32();
        private final byte[] pending = new byte[CHUNK];
        private int filled;
        private long total;
        private boolean closed;

        ZeroRunGzip() {
            out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            crc.update(bytes, offset, length);
            total += length;
            while (length > 0) {
                int n = Math.min(length, CHUNK - filled);
                System.arraycopy(bytes, offset, pending, filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (filled == CHUNK) {
                    out.writeBytes(
                            Arrays.equals(pending, ZEROS) ? DEFLATED_ZEROS : deflate(deflater, pending, CHUNK, false));
                    filled = 0;
                }
            }
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            out.writeBytes(deflate(deflater, pending, filled, true));
            deflater.end();
            long crcValue = crc.getValue();
            for (int i = 0; i < 4; i++) out.write((int) (crcValue >>> (8 * i)));
            for (int i = 0; i < 4; i++) out.write((int) (total >>> (8 * i)));
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private static byte[] deflate(Deflater deflater, byte[] input, int length, boolean last) {
            ByteArrayOutputStream result = new ByteArrayOutputStream();
            byte[] buffer = new byte[1 << 16];
            deflater.setInput(input, 0, length);
            if (last) {
                deflater.finish();
                while (!deflater.finished()) result.write(buffer, 0, deflater.deflate(buffer));
            } else {
                int n;
                do {
                    n = deflater.deflate(buffer, 0, buffer.length, Deflater.FULL_FLUSH);
                    result.write(buffer, 0, n);
                } while (n == buffer.length);
            }
            return result.toByteArray();
        }
    }
}
