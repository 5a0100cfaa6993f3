package io.iacrunner.agent.terraform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskAssignment;
import io.iacrunner.protocol.WireJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan bundle: what a plan phase leaves for its apply, and what an apply accepts back. */
class PlanBundleTest {
    @TempDir
    Path dir;

    TaskAssignment task() {
        var tf = WireJson.lenient().createObjectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", "reviewed");
        return new TaskAssignment(
                "t-x", 1, "ws", TaskAction.PLAN_APPLY, null, tf, null, null, List.of(), 0, null, null, null);
    }

    TaskDirectory directory(String name) throws IOException {
        return TaskDirectory.create(Files.createDirectory(dir.resolve(name)), task(), null);
    }

    @Test
    void aPackedPlanUnpacksIntoTheSameConfigurationPlanAndLockFile() throws IOException {
        byte[] bundle;
        try (TaskDirectory planned = directory("plan")) {
            Files.write(planned.path().resolve(PlanBundle.PLAN), new byte[] {'P', 'K', 3, 4, 42});
            Files.writeString(planned.path().resolve(PlanBundle.LOCK_FILE), "provider \"x\" {}\n");
            bundle = PlanBundle.pack(planned, task());
        }
        PlanBundle.Unpacked unpacked = PlanBundle.unpack(bundle);
        assertThat(unpacked.plan()).containsExactly('P', 'K', 3, 4, 42);
        assertThat(new String(unpacked.lockFile(), StandardCharsets.UTF_8)).isEqualTo("provider \"x\" {}\n");
        assertThat(unpacked.tfJson()).isEqualTo(task().tfJson());

        try (TaskDirectory applying =
                TaskDirectory.create(Files.createDirectory(dir.resolve("apply")), unpacked.configure(task()), null)) {
            unpacked.writeInto(applying);
            assertThat(applying.path().resolve(PlanBundle.PLAN)).hasBinaryContent(new byte[] {'P', 'K', 3, 4, 42});
            assertThat(applying.path().resolve(PlanBundle.LOCK_FILE)).exists();
            assertThat(applying.path().resolve(TaskDirectory.CONFIG)).content().contains("reviewed");
        }
    }

    @Test
    void aLinkInPlaceOfThePlanIsNotFollowed() throws IOException {
        Path agentSecret = Files.writeString(dir.resolve("agent-identity.json"), "the agent's own token");
        try (TaskDirectory planned = directory("hostile")) {
            Files.createSymbolicLink(planned.path().resolve(PlanBundle.PLAN), agentSecret);
            assertThatThrownBy(() -> PlanBundle.pack(planned, task()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("not a regular file");
        }
    }

    @Test
    void aBundleWithAnEntryOfAnotherNameOrWithoutAPlanIsRefused() throws IOException {
        assertThatThrownBy(() -> PlanBundle.unpack(tar("../escape", "x", "main.tf.json", "{}")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unexpected entry '../escape'");
        assertThatThrownBy(() -> PlanBundle.unpack(tar("main.tf.json", "{}")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no plan file");
        assertThatThrownBy(() -> PlanBundle.unpack(tar("plan.out", "p")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("one configuration");
    }

    /** A tar of name, content pairs. */
    static byte[] tar(String... namesAndContents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                byte[] content = namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry entry = new TarArchiveEntry(namesAndContents[i]);
                entry.setSize(content.length);
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
