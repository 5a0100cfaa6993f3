package io.iacrunner.server.logs;

import io.iacrunner.protocol.LogAck;
import io.iacrunner.server.logs.LogService.CheckedBatch;
import io.iacrunner.server.problems.ApiProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent upload WebSocket's batches on their way to the store, in three stages on three threads: the socket's
 * reader only queues each frame's text; a checker thread parses and checks each frame ({@link Check}: the batch,
 * its attempt, its lines cleaned and masked, its chunk encoded) and queues it; a writer thread stores what is
 * queued, several batches in one transaction when the agent has sent ahead, and answers each with its ack, in the
 * order received. So while one batch is committed the next is checked and the one after is read off the socket (on
 * two cores, the reader's UTF-8 decoding and the checker's parsing no longer take turns), and an agent that keeps
 * several batches in flight pays one commit for all of them, not one each. Every guarantee of {@link
 * LogService#append} holds per batch: a group that fails is retried batch by batch, so the batches before the
 * failing one are stored and acknowledged and the failing one gets its refusal, after which nothing more is read.
 */
final class UploadPipeline {
    private static final Logger log = LoggerFactory.getLogger(UploadPipeline.class);
    /**
     * Frames received but not yet checked, and batches checked but not yet stored: the reader waits (and so does the
     * agent's socket) beyond this many at either stage.
     */
    static final int MAX_QUEUED = 8;
    /** Lines stored in one transaction at most, so one commit stays short. */
    static final int MAX_GROUP_LINES = 20_000;

    /** Turns a frame's text into a batch ready to store, or throws what refuses it. */
    interface Check {
        CheckedBatch check(String frame);
    }

    /** What the writer sends back on the socket, in order. */
    interface Replies {
        /** Sends an ack; false when the socket is gone (the agent will send the batch again). */
        boolean ack(LogAck ack);

        /** Sends the refusal and closes the socket. */
        void refuse(ApiProblem problem);
    }

    private sealed interface Item permits Checked, Refused {}

    private record Checked(CheckedBatch batch) implements Item {}

    private record Refused(ApiProblem problem) implements Item {}

    private final String taskId;
    private final String agentId;
    private final LogService logs;
    private final Check check;
    private final Replies replies;
    private final Function<RuntimeException, ApiProblem> asRefusal;
    private final BlockingQueue<String> frames = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Thread checker;
    private final Thread writer;
    private volatile boolean done;

    UploadPipeline(
            String taskId,
            String agentId,
            LogService logs,
            Check check,
            Replies replies,
            Function<RuntimeException, ApiProblem> asRefusal) {
        this.taskId = taskId;
        this.agentId = agentId;
        this.logs = logs;
        this.check = check;
        this.replies = replies;
        this.asRefusal = asRefusal;
        this.checker = Thread.ofVirtual().name("log-check-" + taskId).start(this::checkFrames);
        this.writer = Thread.ofVirtual().name("log-upload-" + taskId).start(this::write);
    }

    /** Queues a frame's text to be checked; waits while {@link #MAX_QUEUED} are waiting. */
    void accept(String frame) {
        put(frames, frame);
    }

    /**
     * The socket closed: frames not yet checked and batches not yet stored are dropped (the agent sends them again)
     * and both threads end.
     */
    void close() {
        done = true;
        checker.interrupt();
        writer.interrupt();
    }

    private <T> void put(BlockingQueue<T> to, T item) {
        try {
            while (!done) {
                if (to.offer(item, 1, TimeUnit.SECONDS)) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Checks frames in order until one is refused: the refusal is queued behind the batches before it (it is sent
     * after their acks, then the socket closes), and no frame after it is checked.
     */
    private void checkFrames() {
        try {
            while (!done) {
                String frame = frames.take();
                try {
                    put(queue, new Checked(check.check(frame)));
                } catch (RuntimeException e) {
                    put(queue, new Refused(refusal(e)));
                    return;
                }
            }
        } catch (InterruptedException e) {
            // close(): the socket is gone.
        } finally {
            frames.clear();
        }
    }

    private void write() {
        try {
            while (!done) {
                List<CheckedBatch> group = new ArrayList<>();
                Item next = queue.take();
                int lines = 0;
                while (next instanceof Checked(CheckedBatch batch)) {
                    group.add(batch);
                    lines += batch.lines().size();
                    next = lines < MAX_GROUP_LINES ? queue.poll() : null;
                }
                if (!group.isEmpty() && !store(group)) return;
                if (next instanceof Refused(ApiProblem problem)) {
                    replies.refuse(problem);
                    return;
                }
            }
        } catch (InterruptedException e) {
            // close(): the socket is gone.
        } finally {
            done = true;
            queue.clear();
            frames.clear();
        }
    }

    /** A problem refuses as itself, a store outage as 503; anything else is a bug, refused as 500 and logged. */
    private ApiProblem refusal(RuntimeException e) {
        try {
            return asRefusal.apply(e);
        } catch (RuntimeException unexpected) {
            log.error("task {}: checking or storing a log batch failed", taskId, unexpected);
            return new ApiProblem(500, "internal_error", "the server could not store the batch; send it again");
        }
    }

    /** Stores the group and sends its acks; false once the socket is refused or gone. */
    private boolean store(List<CheckedBatch> group) {
        List<LogAck> acks;
        try {
            acks = logs.appendAll(taskId, agentId, group);
        } catch (RuntimeException groupFailed) {
            if (group.size() == 1) {
                replies.refuse(refusal(groupFailed));
                return false;
            }
            log.debug(
                    "task {}: a group of {} log batches failed ({}); one by one",
                    taskId,
                    group.size(),
                    groupFailed.getMessage());
            for (CheckedBatch batch : group) {
                if (!store(List.of(batch))) return false;
            }
            return true;
        }
        for (LogAck ack : acks) {
            if (!replies.ack(ack)) return false;
        }
        return true;
    }
}
