package io.iacrunner.server.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.util.BufferRecycler;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of a chunk of consecutive lines: a compact JSON array of {@code [epochMillis, stream, text]}.
 * Sequence numbers are not stored per line; they follow from the chunk's first_seq.
 */
public final class LogChunkCodec {
    private static final JsonFactory JSON = new JsonFactory();

    private LogChunkCodec() {}

    public static String encode(List<LogLine> lines) {
        // Jackson's own segmented writer: no growing copy of the whole chunk, as a StringWriter's buffer makes.
        SegmentedStringWriter out = new SegmentedStringWriter(new BufferRecycler());
        try {
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartArray();
                for (LogLine line : lines) {
                    g.writeStartArray();
                    g.writeNumber(line.ts().toEpochMilli());
                    g.writeString(code(line.stream()));
                    g.writeString(line.line());
                    g.writeEndArray();
                }
                g.writeEndArray();
            }
            return out.getAndClear();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<LogLine> decode(long firstSeq, String chunk) {
        List<LogLine> lines = new ArrayList<>();
        try (JsonParser p = JSON.createParser(chunk)) {
            expect(p.nextToken(), JsonToken.START_ARRAY);
            long seq = firstSeq;
            while (p.nextToken() == JsonToken.START_ARRAY) {
                p.nextToken();
                long millis = p.getLongValue();
                p.nextToken();
                LogStream stream = stream(p.getText());
                p.nextToken();
                String text = p.getText();
                expect(p.nextToken(), JsonToken.END_ARRAY);
                lines.add(new LogLine(seq++, Instant.ofEpochMilli(millis), stream, text));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt log chunk at seq " + firstSeq, e);
        }
        return lines;
    }

    private static void expect(JsonToken actual, JsonToken expected) throws IOException {
        if (actual != expected) throw new IOException("expected " + expected + " but found " + actual);
    }

    private static String code(LogStream stream) {
        return switch (stream) {
            case STDOUT -> "o";
            case STDERR -> "e";
            case SYSTEM -> "s";
        };
    }

    private static LogStream stream(String code) throws IOException {
        return switch (code) {
            case "o" -> LogStream.STDOUT;
            case "e" -> LogStream.STDERR;
            case "s" -> LogStream.SYSTEM;
            default -> throw new IOException("unknown stream code " + code);
        };
    }
}
