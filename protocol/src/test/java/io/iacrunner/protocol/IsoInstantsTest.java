package io.iacrunner.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoInstantsTest {
    private record Stamped(Instant at) {}

    @Test
    void readsWhatEveryEncoderWritesExactlyAsTheFullParserDoes() throws Exception {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            // Any second from 1970 to 9999, with 0 to 9 fraction digits as Instant.toString writes them.
            Instant at = Instant.ofEpochSecond(
                    (long) (random.nextDouble() * 253_402_300_799L),
                    random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000));
            String text = at.toString();
            assertThat(IsoInstants.parse(text)).as(text).isEqualTo(Instant.parse(text));
            assertThat(read(text)).as(text).isEqualTo(at);
        }
        assertThat(IsoInstants.parse("2026-12-03T05:58:13.1Z")).isEqualTo(Instant.parse("2026-12-03T05:58:13.100Z"));
        assertThat(IsoInstants.parse("2024-02-29T23:59:59.999999999Z"))
                .isEqualTo(Instant.parse("2024-02-29T23:59:59.999999999Z"));
    }

    @Test
    void leavesEveryOtherFormToTheFullParserWithItsMeaningAndItsErrors() throws Exception {
        for (String other : new String[] {
            "2026-12-03T06:58:13+01:00", "2016-12-31T23:59:60Z", "+12026-12-03T05:58:13Z", "2026-12-03T05:58:13.Z",
            "2026-12-03T05:58:13.1234567890Z", "2026-02-30T05:58:13Z", "2026-12-03T24:00:00Z", "2026-12-03 05:58:13Z",
            "2026-1x-03T05:58:13Z", "2026-12-03T05:58:13"
        }) {
            assertThat(IsoInstants.parse(other)).as(other).isNull();
        }
        assertThat(read("2026-12-03T06:58:13+01:00")).isEqualTo(Instant.parse("2026-12-03T05:58:13Z"));
        assertThat(read("2016-12-31T23:59:60Z"))
                .as("a leap second, as ISO_INSTANT reads it")
                .isEqualTo(Instant.parse("2016-12-31T23:59:60Z"));
        assertThat(WireJson.strict()
                        .readValue("{\"at\":1764741493.5}", Stamped.class)
                        .at())
                .isEqualTo(Instant.ofEpochSecond(1_764_741_493L, 500_000_000));
        assertThat(read("2026-12-03T24:00:00Z"))
                .as("the end of a day, as ISO_INSTANT reads it")
                .isEqualTo(Instant.parse("2026-12-04T00:00:00Z"));
        for (String bad : new String[] {"2026-02-30T05:58:13Z", "2026-12-03T25:00:00Z", "yesterday"}) {
            assertThatThrownBy(() -> read(bad)).as(bad).isInstanceOf(JsonProcessingException.class);
        }
    }

    private static Instant read(String text) throws Exception {
        return WireJson.strict()
                .readValue("{\"at\":\"" + text + "\"}", Stamped.class)
                .at();
    }
}
