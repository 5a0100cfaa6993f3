package io.iacrunner.protocol.archives;

import static io.iacrunner.protocol.archives.ArchiveRefusedException.entry;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Turns an entry name as the tar holds it into the plain relative name it stands for, or refuses it. */
final class EntryNames {
    /** Longest single name segment (a file or directory name), in UTF-8 bytes: Linux's NAME_MAX. */
    static final int MAX_SEGMENT_BYTES = 255;

    private EntryNames() {}

    /**
     * The name as the configuration directory will hold it: segments joined by '/', without '.' and empty segments
     * ({@code ./main.tf} is {@code main.tf}, as {@code tar -C dir -czf config.tgz .} writes it); "" for the directory
     * itself.
     */
    static String normalize(String raw, Limits limits) {
        if (raw.isEmpty()) throw new ArchiveRefusedException(Reason.BAD_NAME, "an entry has an empty name");
        // A cheap bound before any splitting: no name this long can normalize to one within the limit.
        if (raw.length() > 4L * limits.maxPathLength() + 64) {
            throw entry(
                    Reason.PATH_TOO_LONG,
                    raw,
                    "has a name of " + raw.length() + " characters; the limit is " + limits.maxPathLength() + " bytes");
        }
        checkCharacters(raw);
        if (raw.startsWith("/")) {
            throw entry(Reason.ABSOLUTE_PATH, raw, "has an absolute path; names must be relative");
        }
        if (raw.length() >= 2 && raw.charAt(1) == ':' && isAsciiLetter(raw.charAt(0))) {
            throw entry(Reason.ABSOLUTE_PATH, raw, "starts with a drive letter; names must be relative");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : raw.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) continue;
            // Refused even where it would stay inside ("modules/../x"): no extractor then has to resolve it right.
            if (segment.equals("..")) {
                throw entry(
                        Reason.PATH_TRAVERSAL,
                        raw,
                        "has a '..' segment; names must stay inside the configuration directory");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw entry(
                        Reason.PATH_TOO_LONG, raw, "has a name segment longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
            segments.add(segment);
        }
        String name = String.join("/", segments);
        if (name.getBytes(StandardCharsets.UTF_8).length > limits.maxPathLength()) {
            throw entry(Reason.PATH_TOO_LONG, raw, "has a name longer than " + limits.maxPathLength() + " bytes");
        }
        if (segments.size() > limits.maxPathDepth()) {
            throw entry(Reason.PATH_TOO_LONG, raw, "is nested deeper than " + limits.maxPathDepth() + " levels");
        }
        return name;
    }

    private static void checkCharacters(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == 0) throw entry(Reason.BAD_NAME, raw, "has a NUL character in its name");
            if (c < 0x20 || c == 0x7f) {
                throw entry(Reason.BAD_NAME, raw, "has a control character in its name");
            }
            // A separator on Windows: "..\evil.tf" must not become a traversal on an extractor that splits on it.
            if (c == '\\') {
                throw entry(Reason.BAD_NAME, raw, "has a backslash in its name; separate directories with '/'");
            }
        }
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
