package io.iacrunner.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a client command's bearer token comes from, first match wins: {@code --token-file}, {@code IAC_TOKEN_FILE},
 * {@code IAC_TOKEN} (the token itself), then {@code ./.iac-data/admin.token} when that file exists. No match means no
 * token; the server then answers 401.
 */
public final class Tokens {
    public static final Path DEFAULT_TOKEN_FILE = Path.of(".iac-data", "admin.token");

    private Tokens() {}

    /** Where the token came from, for messages, and the token itself (null when there is none). */
    public record Resolved(String source, String token) {}

    public static Resolved resolve(Path flagFile, CliContext ctx) {
        if (flagFile != null) return new Resolved("--token-file " + flagFile, read(ctx.resolve(flagFile), "--token-file"));
        String envFile = ctx.env("IAC_TOKEN_FILE");
        if (envFile != null) return new Resolved("IAC_TOKEN_FILE", read(ctx.resolve(Path.of(envFile)), "IAC_TOKEN_FILE"));
        String envToken = ctx.env("IAC_TOKEN");
        if (envToken != null) return new Resolved("IAC_TOKEN", envToken.trim());
        Path fallback = ctx.resolve(DEFAULT_TOKEN_FILE);
        if (Files.isRegularFile(fallback)) return new Resolved(fallback.toString(), read(fallback, "default token file"));
        return new Resolved("none", null);
    }

    /** A token file's content, trimmed; a missing, unreadable or empty file is a usage error. */
    public static String read(Path file, String what) {
        if (!Files.exists(file)) throw new UsageException(what + ": token file " + file + " does not exist");
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UsageException(what + ": cannot read token file " + file + ": " + e.getMessage());
        }
        if (token.isEmpty()) throw new UsageException(what + ": token file " + file + " is empty");
        return token;
    }
}
