package io.iacrunner.agent.logs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.agent.testing.FakeServer;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SecretMaskerTest {
    private static final String PEM = """
            -----BEGIN PRIVATE KEY-----
            MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
            BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
            -----END PRIVATE KEY-----
            """;

    /** Masks {@code pieces} written one after the other into one stream. */
    private static String masked(SecretMasker masker, String... pieces) {
        StringBuilder out = new StringBuilder();
        SecretMasker.Stream stream = masker.stream(out::append);
        for (String piece : pieces) stream.write(piece);
        stream.finish();
        return out.toString();
    }

    private static SecretMasker secrets(String... values) {
        return SecretMasker.of(List.of(values));
    }

    /** Every way to cut {@code text} into two reads. */
    private static Stream<Arguments> cuts(String text) {
        return IntStream.rangeClosed(0, text.length())
                .mapToObj(at -> Arguments.of(at, text.substring(0, at), text.substring(at)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            password is hunter22 ok | password is *** ok
            hunter22                | ***
            hunter22hunter22 x      | ****** x
            hunter2 is not it       | hunter2 is not it
            """)
    void masksASecretWithinOneRead(String text, String expected) {
        assertThat(masked(secrets("hunter22"), text)).isEqualTo(expected);
    }

    static Stream<Arguments> splitSecret() {
        return cuts("login: admin / hunter22 done\n");
    }

    @ParameterizedTest(name = "cut at {0}")
    @MethodSource("splitSecret")
    void masksASecretSplitAcrossTwoReadsAtEveryPosition(int at, String first, String second) {
        assertThat(masked(secrets("hunter22"), first, second)).isEqualTo("login: admin / *** done\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            xabcabdx   | x***x
            abcabx     | ab***
            abcabcabx  | abcab***
            abcabdcabx | ******
            abcabdabx  | ***abx
            cabcabd    | c***
            """)
    void overlappingSecretsAreMaskedWhateverTheCuts(String text, String expected) {
        SecretMasker masker = secrets("abcabd", "cabx");
        assertThat(masked(masker, text)).isEqualTo(expected);
        for (int at = 0; at <= text.length(); at++) {
            assertThat(masked(masker, text.substring(0, at), text.substring(at)))
                    .as("cut at %d", at)
                    .isEqualTo(expected);
        }
        assertThat(masked(masker, text.split(""))).as("one character per read").isEqualTo(expected);
    }

    @Test
    void overlappingOccurrencesBecomeOneMaskSoNoPartOfEitherIsLeft() {
        assertThat(masked(secrets("abcd", "cdef"), "1abcdef2")).isEqualTo("1***2");
        assertThat(masked(secrets("xbcdex", "bcd"), "xbcdex bcd")).isEqualTo("*** ***");
        // A longer secret that begins before an occurrence already found swallows it.
        assertThat(masked(secrets("cde", "abcdefg"), "abcdefg abcdefX")).isEqualTo("*** ab***fX");
    }

    @ParameterizedTest
    @ValueSource(strings = {"token=s3cr3t-v4lue", "s3cr3t-v4lue"})
    void masksASecretAtTheEndOfTheStreamWithoutNewline(String text) {
        assertThat(masked(secrets("s3cr3t-v4lue"), text)).endsWith("***").doesNotContain("s3cr3t");
        assertThat(masked(secrets("s3cr3t-v4lue"), text.split("")))
                .endsWith("***")
                .doesNotContain("s3cr3t");
    }

    @Test
    void aHeldBackPrefixIsEmittedAtTheEndOfTheStream() {
        assertThat(masked(secrets("s3cr3t-v4lue"), "token=s3cr3t-v4l")).isEqualTo("token=s3cr3t-v4l");
    }

    @Test
    void holdsBackOnlyWhatCouldStillBecomeASecret() {
        List<String> emitted = new ArrayList<>();
        SecretMasker.Stream stream = secrets("hunter22").stream(emitted::add);

        stream.write("a line\nthen hun");
        assertThat(String.join("", emitted)).isEqualTo("a line\nthen ");
        stream.write("ted\n");
        assertThat(String.join("", emitted)).isEqualTo("a line\nthen hunted\n");
        stream.write("hunter2");
        stream.write("2");
        assertThat(String.join("", emitted)).isEqualTo("a line\nthen hunted\n***");
    }

    static Stream<Arguments> multiLineCuts() {
        return cuts("key = <<EOT\n" + PEM + "EOT\n");
    }

    @ParameterizedTest(name = "cut at {0}")
    @MethodSource("multiLineCuts")
    void masksAMultiLineSecretAcrossLinesAndReads(int at, String first, String second) {
        assertThat(masked(secrets(PEM), first, second)).isEqualTo("key = <<EOT\n***\nEOT\n");
    }

    @Test
    void masksTheLinesOfAMultiLineSecretWhenTerraformReindentsThem() {
        String reindented = PEM.lines().map(line -> "      " + line + "\n").reduce("", String::concat);
        String text = "  + content = <<-EOT\n" + reindented + "    EOT\n";

        String result = masked(secrets(PEM), text);

        assertThat(result).isEqualTo("  + content = <<-EOT\n" + "      ***\n".repeat(4) + "    EOT\n");
        for (int at = 0; at <= text.length(); at++) {
            assertThat(masked(secrets(PEM), text.substring(0, at), text.substring(at)))
                    .isEqualTo(result);
        }
    }

    @Test
    void linesOfAMultiLineSecretShorterThanEightCharactersAreNotMaskedAlone() {
        SecretMasker masker = secrets("{\n  \"user\": \"x\",\n  \"password\": \"correct horse\"\n}");

        assertThat(masker.patterns())
                .containsExactlyInAnyOrder(
                        "{\n  \"user\": \"x\",\n  \"password\": \"correct horse\"\n}",
                        "\"user\": \"x\",", // eight characters: long enough
                        "\"password\": \"correct horse\"");
        assertThat(masked(masker, "}\n{\n\"password\": \"correct horse\"\n")).isEqualTo("}\n{\n***\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "12", " x ", "\tab\n", ""})
    void valuesShorterThanThreeCharactersAreNotMasked(String value) {
        SecretMasker masker = secrets(value);
        assertThat(masker.masksNothing()).isTrue();
        assertThat(masked(masker, "a 12 x ab\n")).isEqualTo("a 12 x ab\n");
    }

    @Test
    void valuesAreMaskedWithoutTheirSurroundingWhitespace() {
        assertThat(masked(secrets("  abc \n"), "[abc]")).isEqualTo("[***]");
    }

    static Stream<Arguments> unicodeCuts() {
        return cuts("пароль: ключ-🔑-秘密 ✓\n");
    }

    @ParameterizedTest(name = "cut at {0}")
    @MethodSource("unicodeCuts")
    void masksUnicodeSecretsWhereverTheCutFalls(int at, String first, String second) {
        assertThat(masked(secrets("ключ-🔑-秘密"), first, second)).isEqualTo("пароль: *** ✓\n");
    }

    @Test
    void withoutSecretsTheStreamIsPassedThrough() {
        String text = "Plan: 1 to add, 0 to change, 0 to destroy.\n\u001B[0m✓";
        assertThat(masked(SecretMasker.NONE, text)).isEqualTo(text);
        assertThat(masked(secrets(), "abc", "", "def")).isEqualTo("abcdef");
        assertThat(SecretMasker.of(List.of()).masksNothing()).isTrue();
    }

    @Test
    void aTasksSensitiveVariablesAreItsSecrets() throws IOException {
        ObjectNode variables = (ObjectNode) FakeServer.JSON.readTree("""
                {"password": "hunter22", "port": 54321, "flag": true, "tiny": "ab", "empty": "", "nothing": null,
                 "creds": {"user": "admin", "keys": ["key-one", "k"]}, "list": [], "public": "not-a-secret"}""");
        TaskAssignment task = new TaskAssignment(
                "t-1",
                1,
                "ws-1",
                TaskAction.PLAN,
                "1.11.4",
                null,
                variables,
                null,
                List.of("password", "port", "flag", "tiny", "empty", "nothing", "missing", "creds", "list"),
                0,
                null,
                null,
                null);

        SecretMasker masker = SecretMasker.forTask(task);

        assertThat(masker.patterns())
                .containsExactlyInAnyOrder(
                        "hunter22",
                        "54321",
                        "true",
                        "{\"user\":\"admin\",\"keys\":[\"key-one\",\"k\"]}",
                        "admin",
                        "key-one");
        assertThat(masker.mask("user = \"admin\", public = not-a-secret"))
                .isEqualTo("user = \"***\", public = not-a-secret");
    }

    @Test
    void aTaskWithoutSensitiveVariablesMasksNothing() throws IOException {
        ObjectNode variables = (ObjectNode) FakeServer.JSON.readTree("{\"password\": \"hunter22\"}");
        assertThat(SecretMasker.forTask(new TaskAssignment(
                        "t-1", 1, "ws-1", TaskAction.PLAN, "1.11.4", null, variables, null, null, 0, null, null, null)))
                .isSameAs(SecretMasker.NONE);
        assertThat(SecretMasker.forTask(new TaskAssignment(
                        "t-1",
                        1,
                        "ws-1",
                        TaskAction.PLAN,
                        "1.11.4",
                        null,
                        null,
                        null,
                        List.of("password"),
                        0,
                        null,
                        null,
                        null)))
                .isSameAs(SecretMasker.NONE);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void anyChunkingMasksAsTheWholeTextAtOnce(long seed) {
        Random random = new Random(seed);
        // A small alphabet makes partial matches, overlaps and secrets that contain each other frequent.
        String alphabet = "abcd \n";
        List<String> values = new ArrayList<>();
        for (int k = 0, count = 1 + random.nextInt(6); k < count; k++)
            values.add(randomText(random, alphabet, 1 + random.nextInt(12)));
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < 40; k++) {
            text.append(randomText(random, alphabet, random.nextInt(30)));
            if (random.nextBoolean()) text.append(values.get(random.nextInt(values.size())));
        }
        SecretMasker masker = SecretMasker.of(values);
        String whole = masker.mask(text.toString());

        assertThat(whole).as("secrets %s", values).isEqualTo(reference(masker.patterns(), text.toString()));
        for (int round = 0; round < 50; round++) {
            List<String> pieces = new ArrayList<>();
            for (int at = 0; at < text.length(); ) {
                int length = random.nextInt(random.nextBoolean() ? 4 : 40);
                pieces.add(text.substring(at, Math.min(text.length(), at + length)));
                at += length;
            }
            assertThat(masked(masker, pieces.toArray(String[]::new)))
                    .as("secrets %s, pieces %s", values, pieces)
                    .isEqualTo(whole);
        }
    }

    private static String randomText(Random random, String alphabet, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int k = 0; k < length; k++) text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return text.toString();
    }

    /** The rule spelled out naively: every occurrence of every pattern, overlapping ones merged, each replaced by the mask. */
    private static String reference(List<String> patterns, String text) {
        List<int[]> occurrences = new ArrayList<>();
        for (String pattern : patterns) {
            for (int at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) {
                occurrences.add(new int[] {at, at + pattern.length()});
            }
        }
        occurrences.sort(Comparator.comparingInt(o -> o[0]));
        StringBuilder out = new StringBuilder();
        int at = 0;
        for (int k = 0; k < occurrences.size(); ) {
            int start = occurrences.get(k)[0];
            int end = occurrences.get(k)[1];
            for (k++; k < occurrences.size() && occurrences.get(k)[0] < end; k++)
                end = Math.max(end, occurrences.get(k)[1]);
            out.append(text, at, start).append(SecretMasker.MASK);
            at = end;
        }
        return out.append(text.substring(at)).toString();
    }
}
