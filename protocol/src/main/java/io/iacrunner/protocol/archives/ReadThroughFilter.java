package io.iacrunner.protocol.archives;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A filter that must see every byte: {@link FilterInputStream#skip} would let the underlying stream skip past the
 * filter's counting or hashing, so skipping reads instead.
 */
abstract class ReadThroughFilter extends FilterInputStream {
    ReadThroughFilter(InputStream in) {
        super(in);
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buffer = new byte[(int) Math.min(Math.max(n, 1), 8192)];
        int read = read(buffer, 0, (int) Math.min(n, buffer.length));
        return Math.max(read, 0);
    }
}
