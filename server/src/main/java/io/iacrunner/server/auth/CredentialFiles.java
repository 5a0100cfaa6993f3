package io.iacrunner.server.auth;

import io.iacrunner.server.problems.ApiProblem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The two credentials written into the data dir on first start: {@code admin.token} (a global admin user token) and
 * {@code agent.token} (registers agents into {@code default-pool}). A file that no longer verifies (revoked, or the
 * store was replaced) is rewritten with a new token; a valid one is kept, so restarts do not invalidate what
 * operators copied. Whoever can read the data dir can therefore always get an admin token back.
 */
public final class CredentialFiles {
    public static final String ADMIN_TOKEN = "admin.token";
    public static final String AGENT_TOKEN = "agent.token";
    public static final String DEFAULT_POOL = "default-pool";

    private final Path adminToken;
    private final Path agentToken;

    private CredentialFiles(Path adminToken, Path agentToken) {
        this.adminToken = adminToken;
        this.agentToken = agentToken;
    }

    public static CredentialFiles ensure(Path dataDir, ApiTokens tokens) {
        Path admin = dataDir.resolve(ADMIN_TOKEN);
        Path agent = dataDir.resolve(AGENT_TOKEN);
        ensure(
                admin,
                tokens,
                p -> p instanceof Principal.User u && u.globalAdmin(),
                () -> tokens.createBootstrapAdmin().token());
        ensure(
                agent,
                tokens,
                p -> p instanceof Principal.PoolMember m && DEFAULT_POOL.equals(m.poolId()),
                () -> tokens.createPoolToken(DEFAULT_POOL, "agent.token in the data dir")
                        .token());
        return new CredentialFiles(admin.toAbsolutePath(), agent.toAbsolutePath());
    }

    public Path adminToken() {
        return adminToken;
    }

    public Path agentToken() {
        return agentToken;
    }

    private static void ensure(Path file, ApiTokens tokens, Predicate<Principal> expected, Supplier<String> issue) {
        try {
            if (Files.isRegularFile(file)
                    && stillValid(tokens, Files.readString(file).trim(), expected)) return;
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, issue.get() + "\n");
            Files.move(
                    tmp,
                    file,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the credential " + file.toAbsolutePath(), e);
        }
    }

    private static boolean stillValid(ApiTokens tokens, String token, Predicate<Principal> expected) {
        try {
            return expected.test(tokens.verify(token));
        } catch (ApiProblem e) {
            return false;
        }
    }
}
