package io.iacrunner.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Splits a process's output into log lines: on '\n', without a trailing '\r', decoded as UTF-8 with invalid bytes
 * replaced (Terraform output is not always valid UTF-8, and the log must never fail on it), NUL replaced by U+FFFD
 * (PostgreSQL text cannot hold it). A line longer than {@link #MAX_LINE_BYTES} is cut at a character boundary into
 * several, so one runaway line cannot exhaust memory or exceed what the server takes in one request.
 */
final class LineReader {
    static final int MAX_LINE_BYTES = 64 * 1024;

    private LineReader() {}

    static void forEachLine(InputStream in, Consumer<String> out) throws IOException {
        byte[] chunk = new byte[8192];
        byte[] line = new byte[256];
        int len = 0;
        int n;
        while ((n = in.read(chunk)) != -1) {
            for (int i = 0; i < n; i++) {
                byte b = chunk[i];
                if (b == '\n') {
                    out.accept(decode(line, withoutCarriageReturn(line, len)));
                    len = 0;
                    continue;
                }
                if (len == MAX_LINE_BYTES) {
                    int cut = characterStart(line, len, b);
                    out.accept(decode(line, cut));
                    System.arraycopy(line, cut, line, 0, len - cut);
                    len -= cut;
                }
                if (len == line.length) line = Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, len * 2));
                line[len++] = b;
            }
        }
        if (len > 0) out.accept(decode(line, withoutCarriageReturn(line, len)));
    }

    /** Where to cut a full buffer so that {@code next} does not end up separated from the start of its character. */
    private static int characterStart(byte[] line, int len, byte next) {
        if (!isContinuation(next)) return len;
        for (int k = len - 1; k >= Math.max(0, len - 3); k--) {
            if (!isContinuation(line[k])) return k == 0 ? len : k;
        }
        return len; // not valid UTF-8 anyway: any cut is as good
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static int withoutCarriageReturn(byte[] line, int len) {
        return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
    }

    private static String decode(byte[] line, int len) {
        return new String(line, 0, len, StandardCharsets.UTF_8).replace('\0', '\uFFFD');
    }
}
