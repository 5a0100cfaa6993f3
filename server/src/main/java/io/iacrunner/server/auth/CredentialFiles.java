package io.iacrunner.server.auth;

import io.iacrunner.server.web.ApiProblem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The two credentials written into the data dir on first start: {@code admin.token} (full rights) and
 * {@code agent.token} (registers agents into {@code default-pool}). A file that no longer verifies (the store was
 * replaced) is rewritten; a valid one is kept, so restarts do not invalidate what operators copied.
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

    public static CredentialFiles ensure(Path dataDir, Tokens tokens) {
        Path admin = dataDir.resolve(ADMIN_TOKEN);
        Path agent = dataDir.resolve(AGENT_TOKEN);
        ensure(admin, tokens, p -> p instanceof Principal.Admin, tokens::issueAdmin);
        ensure(agent, tokens, p -> p instanceof Principal.PoolMember m && DEFAULT_POOL.equals(m.poolId()),
                () -> tokens.issuePool(DEFAULT_POOL));
        return new CredentialFiles(admin.toAbsolutePath(), agent.toAbsolutePath());
    }

    public Path adminToken() {
        return adminToken;
    }

    public Path agentToken() {
        return agentToken;
    }

    private static void ensure(Path file, Tokens tokens, Predicate<Principal> expected, Supplier<String> issue) {
        try {
            if (Files.isRegularFile(file) && stillValid(tokens, Files.readString(file).trim(), expected)) return;
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, issue.get() + "\n");
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the credential " + file.toAbsolutePath(), e);
        }
    }

    private static boolean stillValid(Tokens tokens, String token, Predicate<Principal> expected) {
        try {
            return expected.test(tokens.verify(token));
        } catch (ApiProblem e) {
            return false;
        }
    }
}
