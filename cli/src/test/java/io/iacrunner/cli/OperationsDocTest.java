package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.settings.ServerSettings;
import io.iacrunner.server.settings.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/operations.md lists every server setting with its variable and default, as the settings table has them. */
class OperationsDocTest {
    @Test
    void theSettingsTableListsEverySettingWithItsVariableAndDefault() throws Exception {
        Path root = Path.of(System.getProperty("iac.repoRoot", ".."))
                .toAbsolutePath()
                .normalize();
        String doc = Files.readString(root.resolve("docs/operations.md"));
        for (Setting s : ServerSettings.ALL) {
            assertThat(doc)
                    .as("the row of %s", s.name())
                    .contains("| `" + s.flag() + "` | `" + s.env() + "` | " + s.defaultText() + " |");
        }
    }
}
