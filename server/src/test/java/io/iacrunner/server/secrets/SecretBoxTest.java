package io.iacrunner.server.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretBoxTest {
    static final byte[] PLAIN = "hunter2-and-more".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    static SecretBox box(int seed) {
        byte[] key = new byte[SecretBox.KEY_BYTES];
        Arrays.fill(key, (byte) seed);
        return new SecretBox(key);
    }

    @Test
    void sealedValuesOpenInTheirOwnContextAndDoNotContainThePlaintext() {
        SecretBox box = box(1);
        byte[] sealed = box.seal(PLAIN, "task t-1");
        assertThat(box.open(sealed, "task t-1")).isEqualTo(PLAIN);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("hunter2");
        assertThat(box.seal(PLAIN, "task t-1")).as("a fresh nonce each time").isNotEqualTo(sealed);
    }

    @Test
    void aValueMovedToAnotherRecordDoesNotOpen() {
        SecretBox box = box(1);
        byte[] sealed = box.seal(PLAIN, "workspace a variable x");
        assertThatThrownBy(() -> box.open(sealed, "workspace b variable x"))
                .isInstanceOf(SealedValueException.class)
                .hasMessageContaining("does not verify");
    }

    @Test
    void anotherKeyIsNamedNotGuessedAt() {
        byte[] sealed = box(1).seal(PLAIN, "c");
        assertThatThrownBy(() -> box(2).open(sealed, "c"))
                .isInstanceOf(SealedValueException.class)
                .hasMessageContaining("sealed with key " + box(1).keyId())
                .hasMessageContaining("this server's secrets key is " + box(2).keyId());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 30, 40})
    void aDamagedValueIsRefused(int position) {
        SecretBox box = box(1);
        byte[] sealed = box.seal(PLAIN, "c");
        sealed[Math.min(position, sealed.length - 1)] ^= 0x01;
        assertThatThrownBy(() -> box.open(sealed, "c")).isInstanceOf(SealedValueException.class);
        assertThatThrownBy(() -> box.open(Arrays.copyOf(sealed, 10), "c")).isInstanceOf(SealedValueException.class);
    }

    @Test
    void theDefaultKeyFileIsMadeOnceAndPrivate() throws Exception {
        Path file = dir.resolve("secrets.key");
        SecretBox first = SecretsKeyFile.load(file, true);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Base64.getDecoder().decode(Files.readString(file).trim())).hasSize(SecretBox.KEY_BYTES);
        assertThat(SecretsKeyFile.load(file, true).keyId()).isEqualTo(first.keyId());
    }

    @Test
    void aConfiguredKeyFileMustExistAndHoldAKey() throws Exception {
        Path missing = dir.resolve("missing.key");
        assertThatThrownBy(() -> SecretsKeyFile.load(missing, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not exist");
        assertThat(missing).doesNotExist();
        Path shortKey =
                Files.writeString(dir.resolve("short.key"), Base64.getEncoder().encodeToString(new byte[16]));
        assertThatThrownBy(() -> SecretsKeyFile.load(shortKey, false)).hasMessageContaining("must hold 32 bytes");
        Path garbage = Files.writeString(dir.resolve("garbage.key"), "not base64 at all!");
        assertThatThrownBy(() -> SecretsKeyFile.load(garbage, false)).hasMessageContaining("must hold 32 bytes");
    }
}
