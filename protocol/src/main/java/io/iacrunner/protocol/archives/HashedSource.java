package io.iacrunner.protocol.archives;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The archive as received: counted and hashed on the way through. Its own read failures are wrapped in
 * {@link Failure}, so that they can be told apart from a bad archive after gzip or tar has wrapped them again.
 */
final class HashedSource extends ReadThroughFilter {
    private final MessageDigest digest;
    private long count;

    HashedSource(InputStream in) {
        super(in);
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    long count() {
        return count;
    }

    /** Lowercase hex SHA-256 of all that was read; call once, at the end. */
    String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public int read() throws IOException {
        int b;
        try {
            b = in.read();
        } catch (IOException e) {
            throw new Failure(e);
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
            throw new Failure(e);
        }
        if (n > 0) {
            digest.update(buffer, offset, n);
            count += n;
        }
        return n;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public void close() {
        // the caller's stream: the caller closes it
    }

    /** Reading the caller's stream failed: the upload's problem, not the archive's. */
    static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;

        Failure(IOException cause) {
            super(cause);
        }

        /** The caller's own failure if {@code e} is, or was caused by, one; else null. */
        static IOException in(Throwable e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof Failure failure) return (IOException) failure.getCause();
            }
            return null;
        }
    }
}
