package io.iacrunner.server.configs;

import io.iacrunner.protocol.archives.ArchiveRefusedException;
import io.iacrunner.protocol.archives.ConfigArchiveReader;
import io.iacrunner.protocol.archives.ConfigArchiveReader.Summary;
import io.iacrunner.protocol.archives.EntrySink;
import io.iacrunner.protocol.archives.Limits;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Checks an uploaded Terraform configuration directory, packed as a tar.gz, before it is stored: the rules are
 * {@link ConfigArchiveReader}'s, the same the agent applies again while it extracts. Nothing is kept but the summary.
 */
public final class ConfigArchive {
    private final ConfigArchiveReader reader;

    public ConfigArchive() {
        this(Limits.DEFAULTS);
    }

    public ConfigArchive(Limits limits) {
        this.reader = new ConfigArchiveReader(limits);
    }

    public Limits limits() {
        return reader.limits();
    }

    /** Checks an archive held in memory. */
    public Summary validate(byte[] archive) {
        try {
            return validate(new ByteArrayInputStream(archive));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /**
     * Checks an archive read from {@code archive} (the stream is read to its end, not closed; the caller bounds its
     * compressed size).
     *
     * @throws ArchiveRefusedException if the archive breaks a rule
     * @throws IOException only if reading {@code archive} itself fails
     */
    public Summary validate(InputStream archive) throws IOException {
        return reader.read(archive, EntrySink.NONE);
    }
}
