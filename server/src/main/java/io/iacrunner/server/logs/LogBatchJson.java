package io.iacrunner.server.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonParser.NumberType;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.iacrunner.protocol.IsoInstants;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an agent's {@link LogBatch} token by token. Binding it with {@link WireJson#strict()} spends a sixth more of
 * the server's time per batch on the record machinery per line; this reader handles only the one shape agents send: the batch's three fields and each
 * line's four, each exactly once, in any order, with integer numbers, a timestamp {@link IsoInstants} reads and a
 * stream's own name. Anything else (a missing, null, unknown or repeated field, other number or timestamp forms,
 * trailing data, malformed JSON) returns null, and the caller binds the text as before: so what is accepted, what
 * it means and how a bad batch is refused are those of {@link WireJson#strict()}.
 */
final class LogBatchJson {
    /**
     * The strict mapper's parser settings (limits on sizes and nesting), less its duplicate-field check: this reader
     * refuses a repeated field itself, and the check kept a set of names for every line (a fifth of the parse).
     */
    private static final JsonFactory JSON = WireJson.strict()
            .getFactory()
            .rebuild()
            .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private LogBatchJson() {}

    /**
     * The batch exactly as {@link WireJson#strict()} binds it from {@code json} (UTF-8), or null when it is not in the
     * usual form.
     */
    static LogBatch parse(byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            return whole(p);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * As {@link #parse(byte[])}, from a WebSocket text frame, which the socket has already decoded from UTF-8:
     * encoding it back only to decode it again cost the upload a tenth of its time.
     */
    static LogBatch parse(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            return whole(p);
        } catch (IOException e) {
            return null;
        }
    }

    /** The batch, when it is all there is. */
    private static LogBatch whole(JsonParser p) throws IOException {
        LogBatch batch = batch(p);
        return batch != null && p.nextToken() == null ? batch : null;
    }

    private static LogBatch batch(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) return null;
        Integer attempt = null;
        Long firstSeq = null;
        List<LogLine> lines = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "attempt" -> {
                    if (attempt != null || value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != NumberType.INT)
                        return null;
                    attempt = p.getIntValue();
                }
                case "first_seq" -> {
                    if (firstSeq != null || !isLong(p, value)) return null;
                    firstSeq = p.getLongValue();
                }
                case "lines" -> {
                    if (lines != null || value != JsonToken.START_ARRAY) return null;
                    lines = lines(p);
                    if (lines == null) return null;
                }
                default -> {
                    return null;
                }
            }
        }
        if (t != JsonToken.END_OBJECT || attempt == null || firstSeq == null || lines == null) return null;
        return new LogBatch(attempt, firstSeq, lines);
    }

    private static List<LogLine> lines(JsonParser p) throws IOException {
        List<LogLine> lines = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
            LogLine line = line(p);
            if (line == null) return null;
            lines.add(line);
        }
        return t == JsonToken.END_ARRAY ? lines : null;
    }

    private static LogLine line(JsonParser p) throws IOException {
        Long seq = null;
        Instant ts = null;
        LogStream stream = null;
        String text = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "seq" -> {
                    if (seq != null || !isLong(p, value)) return null;
                    seq = p.getLongValue();
                }
                case "ts" -> {
                    if (ts != null || value != JsonToken.VALUE_STRING) return null;
                    ts = IsoInstants.parse(p.getText());
                    if (ts == null) return null;
                }
                case "stream" -> {
                    if (stream != null || value != JsonToken.VALUE_STRING) return null;
                    stream = stream(p.getText());
                    if (stream == null) return null;
                }
                case "line" -> {
                    if (text != null || value != JsonToken.VALUE_STRING) return null;
                    text = p.getText();
                }
                default -> {
                    return null;
                }
            }
        }
        if (t != JsonToken.END_OBJECT || seq == null || ts == null || stream == null || text == null) return null;
        return new LogLine(seq, ts, stream, text);
    }

    private static boolean isLong(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != NumberType.BIG_INTEGER;
    }

    /** The wire names of {@link LogStream}'s values; any other text is left to the binder. */
    private static LogStream stream(String name) {
        return switch (name) {
            case "stdout" -> LogStream.STDOUT;
            case "stderr" -> LogStream.STDERR;
            case "system" -> LogStream.SYSTEM;
            default -> null;
        };
    }
}
