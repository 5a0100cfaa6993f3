package io.iacrunner.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RunTimeTest {
    @Test
    void readsHoursMinutesAndSecondsAndWritesTheShortestSpelling() {
        assertThat(RunTime.parse("20s")).isEqualTo(Duration.ofSeconds(20));
        assertThat(RunTime.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(RunTime.parse(" 2h ")).isEqualTo(Duration.ofHours(2));
        assertThat(RunTime.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(RunTime.parse("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(RunTime.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(RunTime.format(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(RunTime.format(Duration.ofSeconds(3725))).isEqualTo("1h2m5s");
        assertThat(RunTime.format(Duration.ofSeconds(20))).isEqualTo("20s");
    }

    @Test
    void refusesAnythingElseSayingWhatItExpects() {
        for (String bad :
                new String[] {"", "2", "2 hours", "-5m", "1.5h", "30m2h", "1d", "0s", "721h", "h", "99999999999999s"}) {
            assertThatThrownBy(() -> RunTime.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> RunTime.parse(null)).hasMessageContaining("like 20s, 30m, 2h or 1h30m");
    }
}
