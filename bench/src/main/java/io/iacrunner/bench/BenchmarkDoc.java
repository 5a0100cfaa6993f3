package io.iacrunner.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docs/benchmarks.md}: a fixed header, then one section per benchmark between {@code <!-- bench:NAME:begin -->}
 * and {@code <!-- bench:NAME:end -->}. A run rewrites only its own section and leaves the rest of the file alone.
 * Public for measurements made elsewhere (the web UI's browser test writes its section too).
 */
public final class BenchmarkDoc {
    static final String HEADER = """
            # Benchmarks

            Each benchmark runs with one command from the repository root, for example `bench/run queue-latency`. The
            script selects the JDK (`scripts/jdk.sh`), builds the `bench` module and what it depends on
            (`./mvnw -q -B -DskipTests -pl bench -am package`), runs the benchmark against an embedded server on
            loopback, prints its figures and rewrites its own section below (and nothing else in this file). The
            benchmarks are not part of `./iac test`. See [bench/README.md](../bench/README.md).
            """;

    private BenchmarkDoc() {}

    /** Prints the section to stdout and, unless {@code doc} is null ({@code --no-doc}), writes it into {@code doc}. */
    static void publish(Path doc, String name, String section) throws IOException {
        System.out.println(section);
        if (doc == null) return;
        writeSection(doc, name, section);
        System.err.println(name + ": wrote its section of " + doc);
    }

    public static void writeSection(Path doc, String name, String body) throws IOException {
        String begin = "<!-- bench:" + name + ":begin -->";
        String end = "<!-- bench:" + name + ":end -->";
        String section = begin + "\n" + body.strip() + "\n" + end;
        String text = Files.exists(doc) ? Files.readString(doc) : HEADER;
        Matcher existing = Pattern.compile(Pattern.quote(begin) + ".*?" + Pattern.quote(end), Pattern.DOTALL)
                .matcher(text);
        String updated = existing.find()
                ? text.substring(0, existing.start()) + section + text.substring(existing.end())
                : text.stripTrailing() + "\n\n" + section + "\n";
        if (doc.getParent() != null) Files.createDirectories(doc.getParent());
        Files.writeString(doc, updated);
    }
}
