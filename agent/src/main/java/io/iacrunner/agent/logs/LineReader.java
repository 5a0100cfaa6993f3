package io.iacrunner.agent.logs;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Turns a process's output into log lines, in this order: decodes it as UTF-8 with invalid bytes replaced (Terraform
 * output is not always valid UTF-8, and the log must never fail on it); masks secrets on the character stream with a
 * {@link SecretMasker} (so a secret cut by a read or spanning lines is still found); splits on '\n', without a
 * trailing '\r'; replaces NUL by U+FFFD (PostgreSQL text cannot hold it). A line longer than {@link #MAX_LINE_BYTES}
 * in UTF-8 is cut at a character boundary into several, so one runaway line cannot exhaust memory or exceed what the
 * server takes in one request; every piece but the last ends with {@link #CONTINUES}, so a reader sees that the
 * next line is the same line going on, not a new one (the marker counts towards the limit).
 */
public final class LineReader {
    static final int MAX_LINE_BYTES = 64 * 1024;
    /** Ends each piece of a cut line except the last. ASCII: one byte per character. */
    static final String CONTINUES = " [iac-runner: line continues on the next line]";

    private LineReader() {}

    /** Every line of {@code in}, unmasked. */
    static void forEachLine(InputStream in, Consumer<String> out) throws IOException {
        forEachLine(in, SecretMasker.NONE, out);
    }

    /** Every line of {@code in}, with {@code secrets} masked. Returns at the end of the stream. */
    public static void forEachLine(InputStream in, SecretMasker secrets, Consumer<String> out) throws IOException {
        Lines lines = new Lines(out);
        SecretMasker.Stream masked = secrets.stream(lines);
        // The Charset constructor's decoder replaces malformed input, and returns what it decoded without waiting
        // for a full buffer once the pipe has nothing more at the moment.
        Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
        char[] chunk = new char[8192];
        int n;
        while ((n = reader.read(chunk)) != -1) {
            masked.write(chunk, 0, n);
        }
        masked.finish();
        lines.finish();
    }

    /** Splits masked text, handed over in arbitrary pieces, into lines. */
    private static final class Lines implements Consumer<String> {
        private final Consumer<String> out;
        private final StringBuilder line = new StringBuilder(256);
        private int lineBytes;

        Lines(Consumer<String> out) {
            this.out = out;
        }

        @Override
        public void accept(String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\n') {
                    if (!line.isEmpty() && line.charAt(line.length() - 1) == '\r') line.setLength(line.length() - 1);
                    emit();
                    continue;
                }
                int bytes = utf8Length(c);
                if (lineBytes + bytes > MAX_LINE_BYTES - CONTINUES.length()) {
                    line.append(CONTINUES);
                    emit();
                }
                line.append(c);
                lineBytes += bytes;
            }
        }

        void finish() {
            if (line.isEmpty()) return;
            if (line.charAt(line.length() - 1) == '\r') line.setLength(line.length() - 1);
            emit();
        }

        private void emit() {
            out.accept(line.toString().replace('\0', '\uFFFD'));
            line.setLength(0);
            lineBytes = 0;
        }

        /**
         * A surrogate pair is four bytes, all counted on its high half, so that a line is never cut between its halves
         * (a low surrogate adds nothing and so never starts a new line).
         */
        private static int utf8Length(char c) {
            if (c < 0x80) return 1;
            if (c < 0x800) return 2;
            if (Character.isHighSurrogate(c)) return 4;
            if (Character.isLowSurrogate(c)) return 0;
            return 3;
        }
    }
}
