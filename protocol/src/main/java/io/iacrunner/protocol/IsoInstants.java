package io.iacrunner.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads the timestamps every log line carries without {@code DateTimeFormatter}: the formatter's generic parse (a
 * map of fields per value, then resolving them) took more of the server's time per log batch than the rest of the
 * JSON. Only the exact form our encoders write, {@code YYYY-MM-DDTHH:MM:SS[.fraction]Z} with 1 to 9 fraction digits,
 * takes the fast path; anything else (offsets, leap seconds, numbers, other years) goes to Jackson's own deserializer,
 * so what is accepted and what it means are unchanged.
 */
public final class IsoInstants extends StdScalarDeserializer<Instant> {
    private static final long serialVersionUID = 1L;

    private IsoInstants() {
        super(Instant.class);
    }

    /** Registered after Jackson's time module, so it is the deserializer found for {@link Instant}. */
    static SimpleModule module() {
        return new SimpleModule("iso-instants").addDeserializer(Instant.class, new IsoInstants());
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            Instant fast = parse(p.getText());
            if (fast != null) return fast;
        }
        return InstantDeserializer.INSTANT.deserialize(p, ctxt);
    }

    /**
     * The instant, or null when {@code s} is not in the one form handled here (the caller then parses it fully). The
     * server's own reader of log batches uses it too, so a timestamp means the same whichever way a batch is read.
     */
    public static Instant parse(String s) {
        int n = s.length();
        if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z') return null;
        if (s.charAt(4) != '-'
                || s.charAt(7) != '-'
                || s.charAt(10) != 'T'
                || s.charAt(13) != ':'
                || s.charAt(16) != ':') return null;
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0
                || month < 0
                || day < 0
                || hour < 0
                || hour > 23
                || minute < 0
                || minute > 59
                || second < 0
                || second > 59) return null;
        int nanos = 0;
        if (n > 20) {
            int fraction = n - 21; // between the '.' at 19 and the 'Z'
            if (s.charAt(19) != '.' || fraction < 1 || fraction > 9) return null;
            int value = digits(s, 20, fraction);
            if (value < 0) return null;
            nanos = value;
            for (int i = fraction; i < 9; i++) nanos *= 10;
        }
        long days;
        try {
            days = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null; // the 30th of February and the like: the full parser gives the precise error
        }
        return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    }

    /** The decimal value of {@code count} ASCII digits at {@code from}; -1 if any is not a digit. */
    private static int digits(String s, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
