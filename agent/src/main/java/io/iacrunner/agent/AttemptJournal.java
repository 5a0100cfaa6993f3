package io.iacrunner.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskPhase;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an attempt has done so far, kept beside its log spool ({@code <task>.a<n>.attempt.json}) so that an agent
 * restarted after a crash knows what to report for it: the action, the phase it reached, the serial of the state it
 * started from, and, once Terraform has ended, the outcome and whether the state was stored. Without it a restarted
 * agent could only say "errored" of an apply that in fact finished.
 *
 * <p>Each write replaces the file atomically ({@link PrivateFiles}). Writing is best effort: a journal that cannot be written (a full disk)
 * costs only the precision of a report after a crash, so failures are logged, not thrown.
 */
final class AttemptJournal {
    private static final Logger log = LoggerFactory.getLogger(AttemptJournal.class);
    private static final ObjectMapper JSON = WireJson.lenient();
    static final String SUFFIX = ".attempt.json";

    /** The journal's content; {@code outcome} is null until Terraform has ended. */
    record Entry(
            String taskId,
            int attempt,
            TaskAction action,
            TaskPhase phase,
            Long inputSerial,
            TaskRunner.Outcome outcome,
            boolean stateStored) {}

    private final Path file;
    private Entry entry;

    private AttemptJournal(Path file, Entry entry) {
        this.file = file;
        this.entry = entry;
    }

    /** Starts the journal of a new attempt beside its spool. */
    static AttemptJournal start(Path spoolDir, String taskId, int attempt, TaskAction action, Long inputSerial) {
        AttemptJournal journal = new AttemptJournal(
                fileOf(spoolDir, taskId, attempt), new Entry(taskId, attempt, action, null, inputSerial, null, false));
        journal.write();
        return journal;
    }

    /** The journal an earlier run left for this attempt; its {@link #entry()} is empty when there is none to read. */
    static AttemptJournal leftover(Path spoolDir, String taskId, int attempt) {
        Path file = fileOf(spoolDir, taskId, attempt);
        Entry entry = null;
        if (Files.isRegularFile(file)) {
            try {
                entry = JSON.readValue(file.toFile(), Entry.class);
            } catch (IOException e) {
                log.warn("cannot read {} ({}); reporting the attempt without it", file, e.toString());
            }
        }
        return new AttemptJournal(file, entry);
    }

    private static Path fileOf(Path spoolDir, String taskId, int attempt) {
        return spoolDir.resolve(taskId + ".a" + attempt + SUFFIX);
    }

    synchronized Optional<Entry> entry() {
        return Optional.ofNullable(entry);
    }

    void phase(TaskPhase phase) {
        update(e ->
                new Entry(e.taskId(), e.attempt(), e.action(), phase, e.inputSerial(), e.outcome(), e.stateStored()));
    }

    void outcome(TaskRunner.Outcome outcome) {
        update(e ->
                new Entry(e.taskId(), e.attempt(), e.action(), e.phase(), e.inputSerial(), outcome, e.stateStored()));
    }

    void stateStored() {
        update(e -> new Entry(e.taskId(), e.attempt(), e.action(), e.phase(), e.inputSerial(), e.outcome(), true));
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", file, e.toString());
        }
    }

    private synchronized void update(UnaryOperator<Entry> change) {
        if (entry == null) return;
        entry = change.apply(entry);
        write();
    }

    private void write() {
        try {
            PrivateFiles.replace(file, JSON.writeValueAsBytes(entry));
        } catch (IOException e) {
            log.warn(
                    "cannot write {} ({}); a restart after a crash would report this attempt less precisely",
                    file,
                    e.toString());
        }
    }
}
