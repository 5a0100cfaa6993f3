package io.iacrunner.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Searches files as bytes, for proving a secret is nowhere on disk (a database's files, WAL included). */
public final class RawBytes {
    private RawBytes() {}

    /** The regular files under {@code root} whose bytes contain {@code text} in UTF-8. */
    public static List<Path> filesContaining(Path root, String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> contains(f, needle))
                    .toList();
        }
    }

    private static boolean contains(Path file, byte[] needle) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return false; // removed while the walk went on (the database recycles its files)
        }
        outer:
        for (int i = 0; i <= bytes.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) continue outer;
            }
            return true;
        }
        return false;
    }
}
