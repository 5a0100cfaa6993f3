package io.iacrunner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/design-review.md and its Chinese twin docs/design-review.zh-CN.md back every claim with a file and a test or
 * benchmark; this keeps those references true. What counts as a reference is a backticked code span that is, as a
 * whole:
 *
 * <ul>
 *   <li>a path from the repository root ({@code server/src/main/.../TaskStore.java}): the file must exist; a
 *       {@code #name} after {@code docs/benchmarks.md} names a benchmark section;</li>
 *   <li>{@code <Name>Test.<method>}: a {@code <Name>Test.java} under some {@code src/test/java} declares
 *       {@code void <method>(};</li>
 *   <li>{@code <Class>.<method>} (a class not ending in Test): a {@code <Class>.java} under some {@code src/main/java}
 *       has {@code <method>(};</li>
 *   <li>{@code bench/run <name>}: {@code docs/benchmarks.md} has that benchmark's section.</li>
 * </ul>
 *
 * Anything else in backticks (flags, SQL, JSON, file names without a directory) is prose.
 *
 * <p>The recommendations are the rows of the summary table ({@code | P0-1 | …}), in priority order; each weakness
 * heading names the recommendations it is behind, so a P0/P1 recommendation reaches the files and tests of its
 * weaknesses.
 */
class DesignReviewDocTest {
    private static final Path ROOT =
            Path.of(System.getProperty("iac.repoRoot", "..")).toAbsolutePath().normalize();
    private static final String ENGLISH = "docs/design-review.md";
    private static final String CHINESE = "docs/design-review.zh-CN.md";
    private static final String BENCHMARKS = "docs/benchmarks.md";
    private static final int MIN_WEAKNESSES = 13;

    private static final Pattern CODE_SPAN = Pattern.compile("`([^`\\n]+)`");
    private static final Pattern PATH =
            Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)+)(?:#([a-z0-9-]+))?");
    private static final Pattern BENCH_RUN = Pattern.compile("bench/run ([a-z0-9-]+)");
    private static final Pattern TEST = Pattern.compile("[A-Z][a-z][A-Za-z0-9]*Test\\.[a-z][A-Za-z0-9_]*");
    private static final Pattern METHOD = Pattern.compile("[A-Z][a-z][A-Za-z0-9]*\\.[a-z][A-Za-z0-9_]*");
    /** A weakness is a third-level heading "### W<n>. …"; an open question "### Q<n>. …". */
    private static final Pattern SECTION = Pattern.compile("(?m)^### ([WQ]\\d+)\\.");
    /** A recommendation is a row of the summary table, "| P0-1 | …"; priorities P0 (correctness and security), P1, P2. */
    private static final Pattern RECOMMENDATION_ROW = Pattern.compile("(?m)^\\| *(P[0-2]-\\d+) *\\|");

    private static final Pattern RECOMMENDATION_ID = Pattern.compile("P([0-2])-(\\d+)");
    /** A weakness heading names the recommendations it is behind: "### W5. The blind apply (P0-4)". */
    private static final Pattern WEAKNESS_HEADING = Pattern.compile("(?m)^### W\\d+\\..*$");

    /** The references in a piece of a document, by kind, sorted; {@code misused} lists spans that break the rules. */
    record Refs(
            Set<String> paths, Set<String> tests, Set<String> methods, Set<String> benchmarks, List<String> misused) {
        static Refs of(String text) {
            Refs refs = new Refs(new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), new ArrayList<>());
            Matcher span = CODE_SPAN.matcher(text);
            while (span.find()) refs.add(span.group(1));
            return refs;
        }

        private void add(String span) {
            Matcher m;
            if ((m = BENCH_RUN.matcher(span)).matches()) {
                benchmarks.add(m.group(1));
            } else if ((m = PATH.matcher(span)).matches()) {
                paths.add(m.group(1));
                if (m.group(2) != null) {
                    if (m.group(1).equals(BENCHMARKS)) benchmarks.add(m.group(2));
                    else misused.add("`" + span + "`: only " + BENCHMARKS + " takes a #section");
                }
            } else if (TEST.matcher(span).matches()) {
                tests.add(span);
            } else if (METHOD.matcher(span).matches()) {
                methods.add(span);
            }
        }
    }

    @Test
    void everyReferencedFileTestAndBenchmarkExists() {
        Map<String, List<Path>> testClasses = javaFiles("src/test/java");
        Map<String, List<Path>> mainClasses = javaFiles("src/main/java");
        String benchmarks = read(BENCHMARKS);
        List<String> missing = new ArrayList<>();
        for (String doc : List.of(ENGLISH, CHINESE)) {
            Refs refs = Refs.of(read(doc));
            assertThat(refs.tests()).as("tests referenced by %s", doc).hasSizeGreaterThanOrEqualTo(MIN_WEAKNESSES);
            refs.misused().forEach(m -> missing.add(doc + ": " + m));
            for (String path : refs.paths()) {
                if (!Files.isRegularFile(ROOT.resolve(path))) missing.add(doc + ": file `" + path + "` does not exist");
            }
            for (String test : refs.tests()) {
                String[] parts = test.split("\\.");
                if (!declares(testClasses, parts[0], "void " + parts[1] + "(")) {
                    missing.add(doc + ": test `" + test + "`: "
                            + absence(testClasses, parts[0], "src/test/java", "void " + parts[1] + "("));
                }
            }
            for (String method : refs.methods()) {
                String[] parts = method.split("\\.");
                if (!declares(mainClasses, parts[0], parts[1] + "(")) {
                    missing.add(doc + ": method `" + method + "`: "
                            + absence(mainClasses, parts[0], "src/main/java", parts[1] + "("));
                }
            }
            for (String bench : refs.benchmarks()) {
                if (!benchmarks.contains("<!-- bench:" + bench + ":begin -->")) {
                    missing.add(doc + ": benchmark `" + bench + "` has no section in " + BENCHMARKS);
                }
            }
            if (!refs.benchmarks().isEmpty() && !Files.isRegularFile(ROOT.resolve("bench/run"))) {
                missing.add(doc + ": benchmarks are named but bench/run does not exist");
            }
        }
        assertThat(missing)
                .as("references in the design review that do not exist (repository root %s)", ROOT)
                .isEmpty();
    }

    @Test
    void bothLanguagesCarryTheSameReferencesAndSections() {
        String english = read(ENGLISH);
        String chinese = read(CHINESE);
        Map<String, String> enSections = sections(english);
        Map<String, String> zhSections = sections(chinese);
        assertThat(zhSections.keySet())
                .as("the W/Q sections of %s, in the order of %s", CHINESE, ENGLISH)
                .containsExactlyElementsOf(enSections.keySet());
        List<String> differences =
                new ArrayList<>(differences("the whole document", Refs.of(english), Refs.of(chinese)));
        enSections.forEach(
                (id, section) -> differences.addAll(differences(id, Refs.of(section), Refs.of(zhSections.get(id)))));
        assertThat(differences)
                .as("references that %s and %s do not share", ENGLISH, CHINESE)
                .isEmpty();
        assertThat(english).as("%s links to its translation", ENGLISH).contains("](design-review.zh-CN.md)");
        assertThat(chinese).as("%s links to the English version", CHINESE).contains("](design-review.md)");
    }

    @Test
    void bothLanguagesCarryTheSameRecommendationsInTheSameOrder() {
        List<String> english = recommendations(read(ENGLISH));
        assertThat(english)
                .as("recommendations (summary rows \"| P<n>-<m> |\") in %s", ENGLISH)
                .isNotEmpty();
        assertThat(recommendations(read(CHINESE)))
                .as("the recommendations of %s, in the order of %s", CHINESE, ENGLISH)
                .containsExactlyElementsOf(english);
        List<String> expected = new ArrayList<>();
        int[] next = new int[3];
        for (String id : english) {
            Matcher m = RECOMMENDATION_ID.matcher(id);
            assertThat(m.matches()).isTrue();
            int priority = Integer.parseInt(m.group(1));
            for (int lower = priority + 1; lower < next.length; lower++) {
                assertThat(next[lower])
                        .as("%s comes after a recommendation of a lower priority in %s", id, ENGLISH)
                        .isZero();
            }
            expected.add("P" + priority + "-" + ++next[priority]);
        }
        assertThat(english)
                .as("recommendations in %s: by priority, numbered 1, 2, … within each", ENGLISH)
                .containsExactlyElementsOf(expected);
        for (String doc : List.of(ENGLISH, CHINESE)) {
            Set<String> carried = new TreeSet<>();
            Matcher heading = WEAKNESS_HEADING.matcher(read(doc));
            while (heading.find()) {
                Matcher id = RECOMMENDATION_ID.matcher(heading.group());
                List<String> ids = new ArrayList<>();
                while (id.find()) ids.add(id.group());
                assertThat(ids)
                        .as("recommendations named by the heading \"%s\" in %s", heading.group(), doc)
                        .isNotEmpty()
                        .allMatch(english::contains);
                carried.addAll(ids);
            }
            assertThat(carried)
                    .as("recommendations of %s that some weakness of it is behind", doc)
                    .containsExactlyInAnyOrderElementsOf(english);
        }
    }

    /** The ids of the summary table's rows, in the order of the table; each appears once. */
    private static List<String> recommendations(String doc) {
        List<String> ids = new ArrayList<>();
        Matcher m = RECOMMENDATION_ROW.matcher(doc);
        while (m.find()) {
            assertThat(ids).as("recommendation %s appears twice", m.group(1)).doesNotContain(m.group(1));
            ids.add(m.group(1));
        }
        return ids;
    }

    /** Each reference one language has and the other lacks, named with where it is missing. */
    private static List<String> differences(String where, Refs en, Refs zh) {
        List<String> out = new ArrayList<>();
        compare(out, where, "file", en.paths(), zh.paths());
        compare(out, where, "test", en.tests(), zh.tests());
        compare(out, where, "method", en.methods(), zh.methods());
        compare(out, where, "benchmark", en.benchmarks(), zh.benchmarks());
        return out;
    }

    private static void compare(List<String> out, String where, String kind, Set<String> en, Set<String> zh) {
        en.stream()
                .filter(r -> !zh.contains(r))
                .forEach(r -> out.add(where + ": " + kind + " `" + r + "` only in " + ENGLISH));
        zh.stream()
                .filter(r -> !en.contains(r))
                .forEach(r -> out.add(where + ": " + kind + " `" + r + "` only in " + CHINESE));
    }

    @Test
    void everyWeaknessNamesItsCodeAndItsProofAndEveryOpenQuestionItsCode() {
        for (String doc : List.of(ENGLISH, CHINESE)) {
            Map<String, String> sections = sections(read(doc));
            long weaknesses =
                    sections.keySet().stream().filter(id -> id.startsWith("W")).count();
            assertThat(weaknesses)
                    .as("weakness sections (### W<n>.) in %s", doc)
                    .isGreaterThanOrEqualTo(MIN_WEAKNESSES);
            sections.forEach((id, text) -> {
                Refs refs = Refs.of(text);
                assertThat(refs.paths()).as("files named by %s in %s", id, doc).isNotEmpty();
                if (id.startsWith("W"))
                    assertThat(refs.tests())
                            .as("tests named by %s in %s", id, doc)
                            .isNotEmpty();
            });
        }
    }

    /** Each "### W<n>." or "### Q<n>." section's text, up to the next heading of level 3 or above. */
    private static Map<String, String> sections(String doc) {
        Map<String, String> sections = new LinkedHashMap<>();
        Matcher m = SECTION.matcher(doc);
        while (m.find()) {
            int end = doc.length();
            Matcher next = Pattern.compile("(?m)^#{1,3} ").matcher(doc);
            if (next.find(m.end())) end = next.start();
            String previous = sections.put(m.group(1), doc.substring(m.start(), end));
            assertThat(previous).as("section %s appears twice", m.group(1)).isNull();
        }
        return sections;
    }

    private static boolean declares(Map<String, List<Path>> classes, String name, String text) {
        return classes.getOrDefault(name, List.of()).stream()
                .anyMatch(file -> read(file).contains(text));
    }

    /** Why {@link #declares} said no: the class is nowhere, or none of its files has the text. */
    private static String absence(Map<String, List<Path>> classes, String name, String under, String text) {
        List<Path> files = classes.getOrDefault(name, List.of());
        if (files.isEmpty()) return "there is no " + name + ".java under any " + under;
        List<String> names =
                files.stream().map(f -> ROOT.relativize(f).toString()).toList();
        return "`" + text + "` is not in " + String.join(", ", names);
    }

    /** Every {@code X.java} below a directory ending in {@code under}, by simple class name. */
    private static Map<String, List<Path>> javaFiles(String under) {
        assertThat(ROOT.resolve("pom.xml"))
                .as("the repository root (system property iac.repoRoot)")
                .isRegularFile();
        Map<String, List<Path>> byName = new HashMap<>();
        Path suffix = Path.of(under);
        try {
            Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String name =
                            dir.getFileName() == null ? "" : dir.getFileName().toString();
                    boolean skip = !dir.equals(ROOT)
                            && (name.startsWith(".") || name.equals("target") || name.equals("node_modules"));
                    return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String name = file.getFileName().toString();
                    if (name.endsWith(".java") && isBelow(file, suffix)) {
                        String simpleName = name.substring(0, name.length() - ".java".length());
                        byName.computeIfAbsent(simpleName, k -> new ArrayList<>())
                                .add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byName;
    }

    private static boolean isBelow(Path file, Path suffix) {
        for (Path dir = file.getParent(); dir != null && !dir.equals(ROOT); dir = dir.getParent()) {
            if (dir.endsWith(suffix)) return true;
        }
        return false;
    }

    private static String read(String relative) {
        Path file = ROOT.resolve(relative);
        assertThat(file).as("%s under the repository root %s", relative, ROOT).isRegularFile();
        return read(file);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
