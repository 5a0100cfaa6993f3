package io.iacrunner.agent.logs;

import io.iacrunner.protocol.SensitiveValues;
import io.iacrunner.protocol.TaskAssignment;
import java.nio.CharBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a task's secret values with {@value #MASK} in Terraform's output, on the raw character stream: before it
 * is split into lines and before anything is spooled or sent, so that a secret split across two reads of the pipe, or
 * one that spans lines (a PEM key), is masked as well.
 *
 * <p>What is masked is defined once, in {@link SensitiveValues}, for the agent and the server alike.
 * Where occurrences overlap (two secrets sharing characters, or one inside another), the union of the overlapping
 * occurrences becomes one {@value #MASK}, so no part of either is left; occurrences that merely touch are masked
 * separately. The result does not depend on how the stream is cut into pieces: it is always what masking the whole
 * text at once gives.
 *
 * <p>How. One Aho-Corasick automaton holds every pattern, so the cost is linear in the output whatever the number of
 * secrets. A {@link Stream} emits what it was given except the longest suffix that is a prefix of some secret (and
 * any occurrence that a longer one could still extend), which it holds back until later input decides it, or until
 * {@link Stream#finish()}. Patterns never start with whitespace, so a line's end is normally not held back.
 *
 * <p>A masker is immutable and may be shared; each output stream (stdout, stderr) needs its own {@link #stream}.
 */
public final class SecretMasker {
    private static final Logger log = LoggerFactory.getLogger(SecretMasker.class);

    static final String MASK = SensitiveValues.MASK;
    static final int MIN_VALUE = SensitiveValues.MIN_VALUE;
    /** Masks nothing: its streams pass their input straight through. */
    static final SecretMasker NONE = new SecretMasker(List.of());

    private final List<String> patterns;
    // The automaton: node 0 is the root; per node its outgoing characters (sorted) and their targets.
    private final char[][] labels;
    private final int[][] targets;
    private final int[] fail;
    private final int[] depth;
    /** The length of the longest pattern that is a suffix of the node's string, or 0. */
    private final int[] longestMatch;
    /**
     * The length of the longest suffix of the node's string that is a proper prefix of some pattern (a node with
     * children), or 0: how much input may still become (part of) an occurrence and must be held back.
     */
    private final int[] growable;

    private SecretMasker(List<String> patterns) {
        this.patterns = patterns;
        List<Map<Character, Integer>> edges = new ArrayList<>();
        List<Integer> depths = new ArrayList<>();
        Set<Integer> terminal = new HashSet<>();
        edges.add(new HashMap<>());
        depths.add(0);
        for (String pattern : patterns) {
            int node = 0;
            for (int i = 0; i < pattern.length(); i++) {
                Integer next = edges.get(node).get(pattern.charAt(i));
                if (next == null) {
                    next = edges.size();
                    edges.add(new HashMap<>());
                    depths.add(i + 1);
                    edges.get(node).put(pattern.charAt(i), next);
                }
                node = next;
            }
            terminal.add(node);
        }
        int count = edges.size();
        labels = new char[count][];
        targets = new int[count][];
        depth = new int[count];
        for (int node = 0; node < count; node++) {
            Character[] chars = edges.get(node).keySet().toArray(Character[]::new);
            Arrays.sort(chars);
            labels[node] = new char[chars.length];
            targets[node] = new int[chars.length];
            for (int k = 0; k < chars.length; k++) {
                labels[node][k] = chars[k];
                targets[node][k] = edges.get(node).get(chars[k]);
            }
            depth[node] = depths.get(node);
        }
        // Failure links breadth first: a node's link is the longest proper suffix of its string that is in the trie.
        fail = new int[count];
        longestMatch = new int[count];
        growable = new int[count];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        queue.add(0);
        while (!queue.isEmpty()) {
            int node = queue.poll();
            for (int k = 0; k < labels[node].length; k++) {
                int child = targets[node][k];
                fail[child] = node == 0 ? 0 : step(fail[node], labels[node][k]);
                // A node's own pattern is longer than any suffix's; otherwise the longest is its link's.
                longestMatch[child] = terminal.contains(child) ? depth[child] : longestMatch[fail[child]];
                growable[child] = labels[child].length > 0 ? depth[child] : growable[fail[child]];
                queue.add(child);
            }
        }
    }

    /** A masker for these secret values (see {@link SensitiveValues} for what is masked). */
    static SecretMasker of(Collection<String> values) {
        List<String> patterns = SensitiveValues.ofValues(values);
        return patterns.isEmpty() ? NONE : new SecretMasker(patterns);
    }

    /**
     * The masker for a task's {@code sensitive_variables}. A value too short to mask is logged by the variable's
     * name (never the value) and left out.
     */
    public static SecretMasker forTask(TaskAssignment task) {
        SensitiveValues.Patterns patterns = SensitiveValues.of(task.variables(), task.sensitiveVariables());
        for (String name : patterns.tooShort()) {
            log.warn(
                    "task {}: sensitive variable {} is not (wholly) masked in the log: its value, or a string in it, is"
                            + " shorter than {} characters",
                    task.taskId(),
                    name,
                    MIN_VALUE);
        }
        return patterns.strings().isEmpty() ? NONE : new SecretMasker(patterns.strings());
    }

    /** The strings this masker replaces (values and fragments, stripped); for tests and diagnostics. */
    List<String> patterns() {
        return patterns;
    }

    boolean masksNothing() {
        return patterns.isEmpty();
    }

    /** A new masking stream that passes masked text to {@code out}, in pieces that may cut lines anywhere. */
    Stream stream(Consumer<String> out) {
        return new Stream(out);
    }

    /** The whole text masked at once. */
    String mask(String text) {
        StringBuilder result = new StringBuilder(text.length());
        Stream stream = stream(result::append);
        stream.write(text);
        stream.finish();
        return result.toString();
    }

    private int step(int node, char c) {
        while (true) {
            int k = Arrays.binarySearch(labels[node], c);
            if (k >= 0) return targets[node][k];
            if (node == 0) return 0;
            node = fail[node];
        }
    }

    /**
     * The masking of one stream of characters. Not thread-safe: one reader thread writes to it. After {@link #finish()}
     * everything given to it has reached the output.
     */
    final class Stream {
        private final Consumer<String> out;
        /** Input not yet emitted: positions {@code pendingStart} up to {@code position}. */
        private final StringBuilder pending = new StringBuilder();

        private long pendingStart;
        private long position;
        private int node;
        /** Occurrences within {@link #pending}, merged where they overlap, in order; [start, end) positions. */
        private final ArrayDeque<long[]> occurrences = new ArrayDeque<>();

        private boolean finished;

        private Stream(Consumer<String> out) {
            this.out = out;
        }

        void write(char[] chars, int offset, int length) {
            write(CharBuffer.wrap(chars, offset, length));
        }

        void write(CharSequence chars) {
            if (finished) throw new IllegalStateException("the stream is finished");
            if (chars.isEmpty()) return;
            if (masksNothing()) {
                out.accept(chars.toString());
                return;
            }
            for (int i = 0; i < chars.length(); i++) {
                char c = chars.charAt(i);
                pending.append(c);
                node = step(node, c);
                position++;
                int length = longestMatch[node];
                if (length > 0) found(position - length, position);
            }
            // No later occurrence can start before the held-back suffix: it would have to begin inside it, and it is
            // the longest suffix that can still grow into a pattern (a whole pattern that can grow no further is not).
            emitUpTo(position - growable[node]);
        }

        /** Emits the rest. Further writes are refused. */
        void finish() {
            if (finished) return;
            finished = true;
            emitUpTo(position);
        }

        private void found(long start, long end) {
            // Occurrences are disjoint and ordered, and this one ends last: it absorbs every one it overlaps.
            while (!occurrences.isEmpty() && occurrences.peekLast()[1] > start) {
                start = Math.min(start, occurrences.pollLast()[0]);
            }
            occurrences.addLast(new long[] {start, end});
        }

        /** Emits the pending input before {@code safe}, except an occurrence that reaches past it (it may still grow). */
        private void emitUpTo(long safe) {
            long until = safe;
            for (long[] occurrence : occurrences) {
                if (occurrence[1] > safe) {
                    until = Math.min(safe, occurrence[0]);
                    break;
                }
            }
            if (until <= pendingStart) return;
            StringBuilder masked = new StringBuilder((int) (until - pendingStart));
            long at = pendingStart;
            while (!occurrences.isEmpty() && occurrences.peekFirst()[1] <= until) {
                long[] occurrence = occurrences.pollFirst();
                masked.append(pending, (int) (at - pendingStart), (int) (occurrence[0] - pendingStart))
                        .append(MASK);
                at = occurrence[1];
            }
            masked.append(pending, (int) (at - pendingStart), (int) (until - pendingStart));
            pending.delete(0, (int) (until - pendingStart));
            pendingStart = until;
            if (!masked.isEmpty()) out.accept(masked.toString());
        }
    }
}
