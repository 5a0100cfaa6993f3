package io.iacrunner.server.secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The server's key for sensitive values: a file holding 32 random bytes in base64. A single server creates it in its
 * data dir on first start (mode 0600); replicas must share one key, so a key file named in the configuration must
 * already exist: a replica that made up its own key would seal values no other replica can open.
 */
public final class SecretsKeyFile {
    public static final String DEFAULT_NAME = "secrets.key";

    private SecretsKeyFile() {}

    /** @param create whether a missing file is created (the data dir's default), or an error (a configured file) */
    public static SecretBox load(Path file, boolean create) {
        try {
            if (!Files.exists(file)) {
                if (!create)
                    throw new IllegalStateException("the secrets key file " + file.toAbsolutePath() + " does not exist;"
                            + " create it with 32 random bytes in base64 (e.g. `head -c 32 /dev/urandom | base64`) and give"
                            + " every replica the same file");
                write(file);
            }
            return new SecretBox(decode(file, Files.readString(file).trim()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secrets key file " + file.toAbsolutePath(), e);
        }
    }

    private static byte[] decode(Path file, String text) {
        try {
            byte[] key = Base64.getDecoder().decode(text);
            if (key.length == SecretBox.KEY_BYTES) return key;
        } catch (IllegalArgumentException e) {
            // fall through to the one message below
        }
        throw new IllegalStateException("the secrets key file " + file.toAbsolutePath() + " must hold "
                + SecretBox.KEY_BYTES + " bytes in base64");
    }

    private static void write(Path file) throws IOException {
        byte[] key = new byte[SecretBox.KEY_BYTES];
        new SecureRandom().nextBytes(key);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, Base64.getEncoder().encodeToString(key) + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
}
