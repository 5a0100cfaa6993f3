package io.iacrunner.protocol.archives;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives the entries of a configuration archive as {@link ConfigArchiveReader} accepts them, one at a time and in
 * archive order. Names are normalized ({@code modules/net/main.tf}) and already checked against every rule that needs
 * no file system; the archive's own root ({@code ./}) is not passed on.
 *
 * <p>A sink refuses an entry by throwing {@link ArchiveRefusedException}; any other exception, an
 * {@link IOException} of its own file system for one, ends the reading and reaches the reader's caller unchanged.
 */
public interface EntrySink {
    /** Accepts every entry and keeps nothing: the reader still reads, counts and checks all the content. */
    EntrySink NONE = new EntrySink() {
        @Override
        public void directory(String name) {}

        @Override
        public void file(String name, long size, InputStream content) {}
    };

    void directory(String name) throws IOException;

    /**
     * A regular file of {@code size} declared bytes. {@code content} yields exactly its bytes and checks the size
     * limits as it goes (a refusal comes out of its reads); what the sink leaves unread the reader reads after it.
     * The sink must not close it.
     */
    void file(String name, long size, InputStream content) throws IOException;
}
