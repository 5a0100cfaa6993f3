package io.iacrunner.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

    private static List<String> lines(byte[] bytes) throws IOException {
        return lines(new ByteArrayInputStream(bytes));
    }

    private static List<String> lines(InputStream in) throws IOException {
        List<String> out = new ArrayList<>();
        LineReader.forEachLine(in, out::add);
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void splitsOnNewlineDropsATrailingCarriageReturnAndKeepsEmptyLines() throws IOException {
        assertThat(lines(utf8("one\r\ntwo\n\nthree\rstill three\n")))
                .containsExactly("one", "two", "", "three\rstill three");
    }

    @Test
    void keepsALastLineWithoutNewline() throws IOException {
        assertThat(lines(utf8("first\nlast"))).containsExactly("first", "last");
        assertThat(lines(utf8(""))).isEmpty();
    }

    @Test
    void keepsColourCodesAndMultibyteCharacters() throws IOException {
        String line = "\u001B[1m\u001B[32mApply complete! ✓ 日本\u001B[0m";
        assertThat(lines(utf8(line + "\n"))).containsExactly(line);
    }

    @Test
    void replacesInvalidUtf8InsteadOfFailing() throws IOException {
        byte[] bytes = {'a', (byte) 0xFF, 'b', (byte) 0xC3, '\n', 'c', '\n'};
        assertThat(lines(bytes)).containsExactly("a\uFFFDb\uFFFD", "c");
    }

    @Test
    void replacesNulCharacters() throws IOException {
        assertThat(lines(new byte[] {'a', 0, 'b', '\n'})).containsExactly("a\uFFFDb");
    }

    @Test
    void cutsAnOverlongLineAtACharacterBoundary() throws IOException {
        // Two-byte characters after one ASCII byte: the limit falls inside a character, which must stay whole.
        String line = "x" + "é".repeat(LineReader.MAX_LINE_BYTES);
        List<String> out = lines(utf8(line + "\nnext\n"));

        List<String> pieces = out.subList(0, out.size() - 1);
        assertThat(pieces).hasSizeGreaterThan(1);
        assertThat(pieces.subList(0, pieces.size() - 1))
                .as("every piece but the last says the line goes on")
                .allSatisfy(p -> assertThat(p).endsWith(LineReader.CONTINUES));
        assertThat(pieces.getLast()).doesNotContain(LineReader.CONTINUES);
        assertThat(String.join("", pieces).replace(LineReader.CONTINUES, "")).isEqualTo(line);
        assertThat(out).last().isEqualTo("next");
        assertThat(out).allSatisfy(l -> {
            assertThat(l).doesNotContain("\uFFFD");
            assertThat(utf8(l).length).isLessThanOrEqualTo(LineReader.MAX_LINE_BYTES);
        });
    }

    @Test
    void aLineThatLeavesRoomForTheMarkerIsNotCutAndOneByteMoreIsCutWithIt() throws IOException {
        String fits = "a".repeat(LineReader.MAX_LINE_BYTES - LineReader.CONTINUES.length());
        assertThat(lines(utf8(fits + "\n"))).containsExactly(fits);
        List<String> cut = lines(utf8(fits + "b\n"));
        assertThat(cut).containsExactly(fits + LineReader.CONTINUES, "b");
    }

    @Test
    void joinsLinesAcrossReadBoundaries() throws IOException {
        // A stream that hands out one byte per read, as a pipe may.
        byte[] bytes = utf8("αβ\r\nγ\n");
        InputStream trickle = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(1, len));
            }
        };
        assertThat(lines(trickle)).containsExactly("αβ", "γ");
    }
}
