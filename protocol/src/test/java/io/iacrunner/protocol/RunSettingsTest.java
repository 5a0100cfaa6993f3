package io.iacrunner.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a run's options become on Terraform's command line, and the http backend block a workspace is given. */
class RunSettingsTest {
    @Test
    void runOptionsBecomePlanArgumentsInTheirOrder() {
        RunOptions options = new RunOptions(true, false, List.of("terraform_data.a", "module.m"), List.of("x.y"));
        assertThat(options.planArguments())
                .containsExactly("-destroy", "-target=terraform_data.a", "-target=module.m", "-replace=x.y");
        assertThat(options.isNormal()).isFalse();
        assertThat(new RunOptions(false, true, null, null).planArguments()).containsExactly("-refresh-only");
    }

    @Test
    void missingListsAreEmptyAndANormalRunHasNoArguments() {
        RunOptions none = new RunOptions(false, false, null, null);
        assertThat(none.targets()).isEmpty();
        assertThat(none.replaces()).isEmpty();
        assertThat(none.isNormal()).isTrue();
        assertThat(RunOptions.NORMAL.planArguments()).isEmpty();
    }

    @Test
    void theHttpBackendAddressesAWorkspacesStateAndLockOnTheServerAsReached() {
        HttpBackendSettings settings = HttpBackendSettings.of(URI.create("https://iac.example:8443//"), "prod net");
        assertThat(settings.address())
                .isEqualTo("https://iac.example:8443" + ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_STATE, "prod net"));
        assertThat(settings.address()).contains("prod+net").doesNotContain("//api");
        assertThat(settings.lockAddress()).isEqualTo(settings.unlockAddress());
        assertThat(settings.lockAddress())
                .isEqualTo("https://iac.example:8443" + ApiPaths.fill(ApiPaths.WORKSPACE_TERRAFORM_LOCK, "prod net"));
        assertThat(settings.lockMethod()).isEqualTo("LOCK");
        assertThat(settings.unlockMethod()).isEqualTo("UNLOCK");
    }
}
