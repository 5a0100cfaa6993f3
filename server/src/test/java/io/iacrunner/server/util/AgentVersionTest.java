package io.iacrunner.server.util;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentVersionTest {

    @ParameterizedTest(name = "{0} at least {1}: {2}")
    @CsvSource({
        "1.4.0, 1.4, true",
        "1.4, 1.4.0, true",
        "1.10.2-SNAPSHOT, 1.9, true", // numbers, not text: 10 > 9
        "v2.0.1, 2.0.1, true",
        "1.3.9, 1.4, false",
        "2, 1.99.99, true",
        "dev, 0.1, false", // a build without a number cannot be shown to be new enough
        ", 0.1, false",
    })
    void versionsCompareAsTheirLeadingNumbers(String version, String minimum, boolean atLeast) {
        assertThat(AgentVersion.atLeast(version, minimum)).isEqualTo(atLeast);
    }

    @ParameterizedTest
    @CsvSource({"dev", "0.0.1"})
    void withoutAMinimumAnyVersionIsEnough(String version) {
        assertThat(AgentVersion.atLeast(version, null)).isTrue();
    }
}
