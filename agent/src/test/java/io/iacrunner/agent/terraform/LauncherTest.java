package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LauncherTest {
    @Test
    void aPathEveryTaskSeesMustNotHoldTheWorkDirectory() {
        assertThatThrownBy(() -> Launcher.requireApart(Path.of("/srv/iac/work"), List.of(Path.of("/srv/iac"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "/srv/iac (shown read-only to every task) holds the work directory /srv/iac/work");
        Launcher.requireApart(Path.of("/srv/iac/work"), List.of(Path.of("/srv/iac/hooks"), Path.of("/srv/mirror")));
    }
}
