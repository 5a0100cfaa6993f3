package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TerraformEnvironmentTest {

    @Test
    void passesOnlyAllowlistedVariablesAndPointsHomeAndCliConfigAtTheTaskDirectoryAndTheCacheAtTheAgents() {
        Map<String, String> agent = Map.of(
                "PATH", "/usr/bin:/bin",
                "LANG", "C.UTF-8",
                "https_proxy", "http://proxy:3128",
                "HOME", "/root",
                "TF_CLI_CONFIG_FILE", "/root/.terraformrc",
                "AWS_SECRET_ACCESS_KEY", "secret",
                "IAC_AGENT_TOKEN", "agent-token",
                "TF_VAR_password", "hunter2",
                "TF_LOG", "TRACE");
        Path task = Path.of("/work/t-1-a1-0123456789abcdef");

        Map<String, String> env =
                TerraformEnvironment.build(agent, task, task.resolve(".terraformrc"), Path.of("/work/plugin-cache"));

        assertThat(env)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "PATH", "/usr/bin:/bin",
                        "LANG", "C.UTF-8",
                        "https_proxy", "http://proxy:3128",
                        "HOME", task.toString(),
                        "TF_CLI_CONFIG_FILE", task.resolve(".terraformrc").toString(),
                        "TF_PLUGIN_CACHE_DIR", "/work/plugin-cache",
                        // The cache serves runs without a lock file too (Terraform 1.4+ would not): see
                        // TerraformEnvironment.
                        "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "true",
                        "TF_IN_AUTOMATION", "1",
                        "TF_INPUT", "0",
                        "CHECKPOINT_DISABLE", "1"));
    }
}
