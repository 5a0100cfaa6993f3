package io.iacrunner.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.ApiException;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskList;
import io.iacrunner.protocol.TaskStatus;
import io.iacrunner.protocol.TaskView;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Configuration directories: real HCL with a local module, sent by {@code task create --config-dir}, planned and
 * applied by real Terraform; and hostile archives refused by the API with their code, queuing nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConfigDirectoryEndToEndTest {
    @TempDir
    static Path dir;

    static E2eHarness system;

    @BeforeAll
    static void start() throws Exception {
        system = new E2eHarness(dir, Duration.ofSeconds(5));
        system.startAgent("hcl");
    }

    @AfterAll
    static void stop() {
        system.close();
    }

    @Test
    void anHclDirectoryWithALocalModuleRunsThroughPlanAndApply() throws Exception {
        Path config = Files.createDirectories(dir.resolve("hcl/modules/greeter"));
        Files.writeString(config.resolveSibling("../main.tf").normalize(), """
                module "greeter" {
                  source = "./modules/greeter"
                  name   = "world"
                }
                output "greeting" {
                  value = module.greeter.greeting
                }
                """);
        Files.writeString(config.resolve("main.tf"), """
                variable "name" {
                  type = string
                }
                resource "terraform_data" "hello" {
                  input = "hello ${var.name}"
                  provisioner "local-exec" {
                    command = "echo greeting from the module"
                  }
                }
                output "greeting" {
                  value = terraform_data.hello.output
                }
                """);
        Path root = dir.resolve("hcl");
        Files.createDirectories(root.resolve(".terraform"));
        Files.writeString(root.resolve(".terraform/leftover"), "a local init's files are not sent");
        Files.writeString(root.resolve("terraform.tfstate"), "{\"not\": \"sent\"}");

        E2eHarness.CliResult created = system.cli(
                "task", "create", "--workspace", "hcl-dir", "--action", "plan_apply", "--config-dir", root.toString());
        assertThat(created.exit()).as(created.err()).isZero();
        String id = created.out().trim();
        E2eHarness.CliResult followed = system.cli("logs", id, "--follow");
        assertThat(followed.exit()).as(followed.out()).isZero();
        assertThat(E2eHarness.plain(followed.out()))
                .contains("greeting from the module", "Apply complete! Resources: 1 added");
        TaskView done = system.show(id);
        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.planSummary().add()).containsExactly("module.greeter.terraform_data.hello");
        assertThat(system.cli("workspace", "show", "hcl-dir").out()).contains("output.greeting:", "\"hello world\"");
    }

    static Stream<Arguments> hostileArchives() {
        return Stream.of(
                Arguments.of("path traversal", entry("../evil.tf", null), "archive_path_traversal"),
                Arguments.of("absolute path", entry("/etc/evil.tf", null), "archive_absolute_path"),
                Arguments.of("link out", entry("link", "/etc"), "archive_link"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileArchives")
    void aHostileArchiveIsRefusedWithItsCodeAndQueuesNothing(String name, TarArchiveEntry hostile, String code)
            throws Exception {
        String workspace = "hostile-" + name.replace(' ', '-');
        CreateTaskRequest request = new CreateTaskRequest(
                workspace,
                TaskAction.PLAN_APPLY,
                null,
                null,
                null,
                null,
                null,
                Base64.getEncoder().encodeToString(archive(hostile)));
        assertThatThrownBy(() -> system.server.admin().post(ApiPaths.TASKS, request, TaskView.class))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo(code);
                });
        TaskList tasks = system.server.admin().get(ApiPaths.TASKS + "?workspace=" + workspace, TaskList.class);
        assertThat(tasks.tasks()).isEmpty();
    }

    private static TarArchiveEntry entry(String name, String linkTarget) {
        if (linkTarget == null) return new TarArchiveEntry(name, true);
        TarArchiveEntry link = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
        link.setLinkName(linkTarget);
        return link;
    }

    /** A good main.tf, then the hostile entry. */
    private static byte[] archive(TarArchiveEntry hostile) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            byte[] main = "resource \"terraform_data\" \"x\" {}\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry good = new TarArchiveEntry("main.tf");
            good.setSize(main.length);
            tar.putArchiveEntry(good);
            tar.write(main);
            tar.closeArchiveEntry();
            byte[] evil = "# evil\n".getBytes(StandardCharsets.UTF_8);
            if (!hostile.isSymbolicLink()) hostile.setSize(evil.length);
            tar.putArchiveEntry(hostile);
            if (!hostile.isSymbolicLink()) tar.write(evil);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }
}
