package io.iacrunner.server.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.LogLine;
import io.iacrunner.protocol.LogStream;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.http.Bodies;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast reader of log batches reads what the strict binder reads, the same way, and leaves the rest to it. */
class LogBatchJsonTest {
    private static final String LINE =
            "{\"seq\":7,\"ts\":\"2026-12-03T13:59:37.859123Z\",\"stream\":\"stderr\",\"line\":\"x\"}";

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"attempt\":1,\"first_seq\":7,\"lines\":[" + LINE + "]}",
                "{\"lines\":[],\"first_seq\":0,\"attempt\":3}",
                // Fields in another order, escapes, non-ASCII and astral characters, a NUL, whitespace between tokens.
                " { \"first_seq\" : 5 , \"attempt\" : 2 , \"lines\" : [ {\"line\":\"a\\\"b\\\\c\\n\\t\\u0000 é 😀 \\ud83d\\ude00\","
                        + " \"stream\":\"system\", \"seq\":5, \"ts\":\"2026-01-31T00:00:00Z\"},"
                        + " {\"seq\":6,\"ts\":\"2026-01-31T23:59:59.5Z\",\"stream\":\"stdout\",\"line\":\"\"} ] } ",
                // Not checked here but by the append path, as for a bound batch: a gap in seqs, a negative first seq.
                "{\"attempt\":1,\"first_seq\":-1,\"lines\":[" + LINE + "," + LINE + "]}",
            })
    void readsTheUsualFormAsTheStrictBinderDoes(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);

        LogBatch fast = LogBatchJson.parse(bytes);

        assertThat(fast).isNotNull().isEqualTo(Bodies.parse(bytes, LogBatch.class));
        assertThat(LogBatchJson.parse(json)).as("from a WebSocket frame's text").isEqualTo(fast);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                // Refused by the binder, each for its own reason.
                "",
                "null",
                "[]",
                "{\"attempt\":1,\"first_seq\":0}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":null}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[],\"extra\":1}",
                "{\"attempt\":1,\"attempt\":1,\"first_seq\":0,\"lines\":[]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[]} {}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[]",
                "{\"attempt\":99999999999,\"first_seq\":0,\"lines\":[]}",
                "{\"attempt\":1,\"first_seq\":99999999999999999999,\"lines\":[]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[null]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-12-03T13:59:37Z\",\"stream\":\"stdout\"}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"seq\":0,\"ts\":\"2026-12-03T13:59:37Z\",\"stream\":\"stdout\",\"line\":\"\"}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-12-03T13:59:37Z\",\"stream\":\"STDOUT?\",\"line\":\"\"}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-02-30T13:59:37Z\",\"stream\":\"stdout\",\"line\":\"\"}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-12-03T13:59:37Z\",\"stream\":\"stdout\",\"line\":1}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-12-03T13:59:37Z\",\"stream\":\"stdout\",\"line\":\"\",\"x\":0}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-12-03T13:59:37Z\",\"stream\":\"stdout\",\"line\":\"\\x\"}]}",
                // Accepted by the binder, but not in the form the fast reader handles.
                "{\"attempt\":1.0,\"first_seq\":0,\"lines\":[]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":null,\"stream\":\"stdout\",\"line\":\"\"}]}",
                "{\"attempt\":1,\"first_seq\":0,\"lines\":[{\"seq\":0,\"ts\":\"2026-12-03T13:59:37+01:00\",\"stream\":\"stdout\",\"line\":\"\"}]}",
            })
    void leavesEverythingElseToTheStrictBinder(String json) {
        assertThat(LogBatchJson.parse(json.getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(LogBatchJson.parse(json)).as("from a WebSocket frame's text").isNull();
    }

    @Test
    void readsWhatTheAgentWrites() throws Exception {
        LogBatch sent = new LogBatch(
                1,
                40,
                List.of(
                        new LogLine(40, Instant.parse("2026-12-03T13:59:37.859123456Z"), LogStream.STDOUT, "plan: 1"),
                        new LogLine(
                                41, Instant.parse("2026-12-03T13:59:38Z"), LogStream.STDERR, "Error: \"x\"\u0001")));

        LogBatch read = LogBatchJson.parse(WireJson.lenient().writeValueAsBytes(sent));

        assertThat(read).isEqualTo(sent);
        assertThat(LogBatchJson.parse(WireJson.lenient().writeValueAsString(sent)))
                .isEqualTo(sent);
    }
}
