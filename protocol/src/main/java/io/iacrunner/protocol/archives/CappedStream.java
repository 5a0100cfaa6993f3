package io.iacrunner.protocol.archives;

import java.io.IOException;
import java.io.InputStream;

/**
 * The inflated tar stream, counted: crossing the limit stops the reading at once, so a gzip bomb is inflated no
 * further than {@link Limits#maxTarStreamBytes()} plus one byte.
 */
final class CappedStream extends ReadThroughFilter {
    private final long limit;
    private long count;
    private boolean tripped;

    CappedStream(InputStream in, long limit) {
        super(in);
        this.limit = limit;
    }

    /** Whether the limit was crossed: any failure after that (the tar reader's included) is the size's fault. */
    boolean tripped() {
        return tripped;
    }

    ArchiveRefusedException tooLarge() {
        return new ArchiveRefusedException(
                Reason.TOO_LARGE, "the archive unpacks to more than " + limit + " bytes of tar stream");
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

    /** Ends the inflater; the caller's stream stays open ({@link HashedSource#close()} does nothing). */
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
            throw tooLarge();
        }
    }
}
