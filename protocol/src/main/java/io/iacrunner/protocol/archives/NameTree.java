package io.iacrunner.protocol.archives;

import static io.iacrunner.protocol.archives.ArchiveRefusedException.entry;
import static io.iacrunner.protocol.archives.ArchiveRefusedException.quote;

import java.util.HashMap;
import java.util.Map;

/** The normalized names seen so far: each once, and no file where a directory is needed. */
final class NameTree {
    /** A directory named only as some entry's parent may still get an entry of its own later, once. */
    private enum Kind {
        FILE,
        DIRECTORY,
        IMPLIED_DIRECTORY
    }

    private final Map<String, Kind> names = new HashMap<>();

    /** Records {@code name} (normalized from {@code raw}, which the refusal quotes). */
    void add(String name, String raw, boolean directory) {
        for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
            String parent = name.substring(0, slash);
            if (names.putIfAbsent(parent, Kind.IMPLIED_DIRECTORY) == Kind.FILE) {
                throw entry(Reason.DUPLICATE_ENTRY, raw, "is inside " + quote(parent) + ", which is a file");
            }
        }
        Kind before = names.get(name);
        if (before == null || (directory && before == Kind.IMPLIED_DIRECTORY)) {
            names.put(name, directory ? Kind.DIRECTORY : Kind.FILE);
            return;
        }
        throw entry(
                Reason.DUPLICATE_ENTRY,
                raw,
                (raw.equals(name) ? "" : "(normalized " + quote(name) + ") ")
                        + (before == Kind.FILE
                                ? "repeats the name of an earlier file"
                                : "names an existing directory"));
    }
}
