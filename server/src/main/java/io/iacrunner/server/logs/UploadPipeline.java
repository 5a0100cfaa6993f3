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
 * One agent upload WebSocket's batches on their way to the store. The socket's reader checks each batch and queues
 * it; one writer thread stores what is queued, several batches in one transaction when the agent has sent ahead,
 * and answers each with its ack, in the order received. So a batch is parsed while the one before is committed, and
 * an agent that keeps several batches in flight pays one commit for all of them, not one each. Every guarantee of
 * {@link LogService#append} holds per batch: a group that fails is retried batch by batch, so the batches before the
 * failing one are stored and acknowledged and the failing one gets its refusal, after which nothing more is read.
 */
final class UploadPipeline {
    private static final Logger log = LoggerFactory.getLogger(UploadPipeline.class);
    /** Batches received but not yet stored; the reader waits (and so does the agent's socket) beyond this. */
    static final int MAX_QUEUED = 8;
    /** Lines stored in one transaction at most, so one commit stays short. */
    static final int MAX_GROUP_LINES = 20_000;

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
    private final Replies replies;
    private final Function<RuntimeException, ApiProblem> asRefusal;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Thread writer;
    private volatile boolean done;

    UploadPipeline(
            String taskId,
            String agentId,
            LogService logs,
            Replies replies,
            Function<RuntimeException, ApiProblem> asRefusal) {
        this.taskId = taskId;
        this.agentId = agentId;
        this.logs = logs;
        this.replies = replies;
        this.asRefusal = asRefusal;
        this.writer = Thread.ofVirtual().name("log-upload-" + taskId).start(this::write);
    }

    /** Queues a checked batch; waits while {@link #MAX_QUEUED} are waiting. */
    void accept(CheckedBatch batch) {
        put(new Checked(batch));
    }

    /** Queues a refusal: it is sent after the acks of the batches received before it, then the socket closes. */
    void refuse(ApiProblem problem) {
        put(new Refused(problem));
    }

    /** The socket closed: batches not yet stored are dropped (the agent sends them again) and the writer ends. */
    void close() {
        done = true;
        writer.interrupt();
    }

    private void put(Item item) {
        try {
            while (!done) {
                if (queue.offer(item, 1, TimeUnit.SECONDS)) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
        }
    }

    /** A problem refuses as itself, a store outage as 503; anything else is a bug, refused as 500 and logged. */
    private ApiProblem refusal(RuntimeException e) {
        try {
            return asRefusal.apply(e);
        } catch (RuntimeException unexpected) {
            log.error("task {}: storing a log batch failed", taskId, unexpected);
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
