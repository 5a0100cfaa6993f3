package io.iacrunner.agent.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local spool of one task attempt's log: every line is written here, one JSON {@link LogLine} per line, before it
 * may be sent, and the file goes only once the attempt has reported (or was given up). So a line that Terraform
 * printed survives a server outage of any length, a lost connection and a crash of the agent itself: a restarted
 * agent finds the file and uploads what the server does not have yet (the agent's {@code SpoolRecovery}).
 *
 * <p>Lines are read back from the file to be sent, so the agent's memory does not grow with an outage. Each line is
 * one write of complete bytes; a crash can leave at most a partial last line, which a reader ignores.
 */
public final class LogSpool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogSpool.class);
    public static final String DIR = "spool";
    private static final Pattern NAME = Pattern.compile("(t-[A-Za-z0-9]+)\\.a(\\d+)\\.jsonl");
    private static final ObjectMapper JSON = WireJson.lenient();

    /** A spool left by an earlier run of the agent. */
    public record Leftover(Path file, String taskId, int attempt) {}

    /** Lines read back, and the file position just after each of them. */
    record Read(List<LogLine> lines, long[] endOffsets) {}

    private final Path file;
    private final FileChannel channel;
    private long size;

    private LogSpool(Path file, FileChannel channel, long size) {
        this.file = file;
        this.channel = channel;
        this.size = size;
    }

    /** A new, empty spool for the attempt (0600, in the agent's private work directory); an old one is replaced. */
    public static LogSpool create(Path workRoot, String taskId, int attempt) throws IOException {
        Path dir = directory(workRoot);
        Path file = dir.resolve(taskId + ".a" + attempt + ".jsonl");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return new LogSpool(file, FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE), 0);
    }

    /** Opens a leftover spool to finish uploading it. A partial last line (the crash came mid-write) is cut off. */
    public static LogSpool reopen(Leftover leftover) throws IOException {
        FileChannel channel = FileChannel.open(leftover.file(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long complete = completeLength(channel);
            channel.truncate(complete);
            return new LogSpool(leftover.file(), channel, complete);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Spools an earlier run left in {@code workRoot}, in no particular order. */
    public static List<Leftover> leftovers(Path workRoot) throws IOException {
        Path dir = workRoot.resolve(DIR);
        List<Leftover> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) return found;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.jsonl")) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches()) found.add(new Leftover(f, m.group(1), Integer.parseInt(m.group(2))));
            }
        }
        return found;
    }

    /** The spool directory of a work directory, created (0700) if it is not there yet. */
    public static Path directory(Path workRoot) throws IOException {
        Path dir = workRoot.resolve(DIR);
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }

    /**
     * Writes the line to the file (the operating system has it when this returns; no fsync per line). All or nothing:
     * a write that fails part way (a full disk) is cut off again, so a later line never follows half of this one.
     */
    public void append(LogLine line) throws IOException {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(line);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot encode a log line", e);
        }
        ByteBuffer buffer =
                ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        long end = size;
        try {
            while (buffer.hasRemaining()) end += channel.write(buffer, end);
        } catch (IOException e) {
            if (end > size) channel.truncate(size);
            throw e;
        }
        size = end;
    }

    /**
     * Up to {@code maxLines} complete lines between file positions {@code offset} and {@code limit} (a {@link #size()}
     * seen earlier: appends may go on meanwhile), within {@code maxBytes} of JSON unless the first line alone is more.
     */
    Read read(long offset, long limit, int maxLines, int maxBytes) throws IOException {
        List<LogLine> lines = new ArrayList<>();
        List<Long> ends = new ArrayList<>();
        long position = offset;
        ByteBuffer buffer = ByteBuffer.allocate(Math.min(maxBytes, 64 * 1024));
        byte[] pending = new byte[0];
        while (lines.size() < maxLines && position + pending.length < limit) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), limit - position - pending.length));
            int n = channel.read(buffer, position + pending.length);
            if (n <= 0) break;
            byte[] bytes = new byte[pending.length + n];
            System.arraycopy(pending, 0, bytes, 0, pending.length);
            buffer.flip().get(bytes, pending.length, n);
            int start = 0;
            for (int i = 0; i < bytes.length && lines.size() < maxLines; i++) {
                if (bytes[i] != '\n') continue;
                long end = position + i + 1;
                if (!lines.isEmpty() && end - offset > maxBytes) return result(lines, ends);
                lines.add(JSON.readValue(bytes, start, i - start, LogLine.class));
                ends.add(end);
                start = i + 1;
            }
            position += start;
            pending = Arrays.copyOfRange(bytes, start, bytes.length);
            if (start == 0 && pending.length > 8 * 1024 * 1024)
                throw new IOException(file + ": a spooled line has no end");
        }
        return result(lines, ends);
    }

    private static Read result(List<LogLine> lines, List<Long> ends) {
        return new Read(lines, ends.stream().mapToLong(Long::longValue).toArray());
    }

    /** Bytes written; read and written under the caller's lock. */
    long size() {
        return size;
    }

    Path file() {
        return file;
    }

    /** Closes and deletes the file: every line in it is stored, or the attempt is void. */
    void delete() {
        close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete the log spool {}: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing was buffered in Java: every write went to the channel already.
        }
    }

    /** The length of the file up to and including its last newline. */
    private static long completeLength(FileChannel channel) throws IOException {
        long end = channel.size();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (end > 0) {
            one.clear();
            channel.read(one, end - 1);
            if (one.get(0) == '\n') return end;
            end--;
        }
        return 0;
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
