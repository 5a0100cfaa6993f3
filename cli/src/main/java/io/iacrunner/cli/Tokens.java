package io.iacrunner.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a client command's bearer token comes from, first match wins: {@code --token-file}, {@code IAC_TOKEN_FILE},
 * {@code IAC_TOKEN} (the token itself), then {@code ./.iac-data/admin.token} when that file exists. No match means no
 * token; the server then answers 401.
 *
 * <p>A token is one line of printable ASCII; surrounding white space (the newline an editor adds) is trimmed. Anything
 * else is a usage error that shows no part of what was read: a file with two lines may hold the token and something
 * else, and both are nobody's business in a terminal or a CI log.
 */
public final class Tokens {
    public static final Path DEFAULT_TOKEN_FILE = Path.of(".iac-data", "admin.token");
    /** Far above any token this server issues (an opaque token is some 60 characters, a JWT under 1 KiB). */
    static final int MAX_TOKEN_BYTES = 16 * 1024;

    private Tokens() {}

    /** Where the token came from, for messages, and the token itself (null when there is none). */
    public record Resolved(String source, String token) {}

    public static Resolved resolve(Path flagFile, CliContext ctx) {
        if (flagFile != null)
            return new Resolved("--token-file " + flagFile, read(ctx.resolve(flagFile), "--token-file"));
        String envFile = ctx.env("IAC_TOKEN_FILE");
        if (envFile != null)
            return new Resolved("IAC_TOKEN_FILE", read(ctx.resolve(Path.of(envFile)), "IAC_TOKEN_FILE"));
        String envToken = ctx.env("IAC_TOKEN");
        if (envToken != null) return new Resolved("IAC_TOKEN", check(envToken.trim(), "IAC_TOKEN holds"));
        Path fallback = ctx.resolve(DEFAULT_TOKEN_FILE);
        if (Files.isRegularFile(fallback))
            return new Resolved(fallback.toString(), read(fallback, "default token file"));
        return new Resolved("none", null);
    }

    /** A token file's one line, trimmed; a missing, unreadable, empty or otherwise unfit file is a usage error. */
    public static String read(Path file, String what) {
        if (!Files.exists(file)) throw new UsageException(what + ": token file " + file + " does not exist");
        if (!Files.isRegularFile(file))
            throw new UsageException(what + ": token file " + file + " is not a regular file");
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_TOKEN_BYTES) {
                throw new UsageException(what + ": token file " + file + " is over " + MAX_TOKEN_BYTES / 1024
                        + " KiB: not a token file (a token file holds the token alone, on one line)");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UsageException(what + ": cannot read token file " + file + ": " + Problems.describe(e));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new UsageException(what + ": token file " + file + " is not text: not a token file");
        }
        String token = text.trim();
        if (token.isEmpty()) throw new UsageException(what + ": token file " + file + " is empty");
        return check(token, what + ": token file " + file + " holds");
    }

    /** {@code token} when it is one line of printable ASCII; else a usage error starting with {@code where}. */
    private static String check(String token, String where) {
        if (token.contains("\n") || token.contains("\r")) {
            throw new UsageException(where + " more than one line; it must hold the token alone, on one line"
                    + " (its content is not shown)");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new UsageException(
                        where + " a space, a control character or a character outside ASCII, which no token"
                                + " has; it must hold the token alone, on one line (its content is not shown)");
            }
        }
        return token;
    }
}
