package io.iacrunner.server.logs;

import io.iacrunner.protocol.ApiError;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.LogAck;
import io.iacrunner.protocol.LogBatch;
import io.iacrunner.protocol.Role;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.ViewerFrame;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.auth.Authenticator;
import io.iacrunner.server.auth.JobUploads;
import io.iacrunner.server.auth.Principal;
import io.iacrunner.server.auth.WsTickets;
import io.iacrunner.server.http.Bodies;
import io.iacrunner.server.http.QueryParams;
import io.iacrunner.server.http.RouteTable;
import io.iacrunner.server.http.Routes;
import io.iacrunner.server.logs.LogService.CheckedBatch;
import io.iacrunner.server.problems.ApiProblem;
import io.iacrunner.server.store.StoreAvailability;
import io.iacrunner.server.tasks.TaskAccess;
import io.iacrunner.server.tasks.TaskService;
import io.javalin.http.Context;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.websocket.api.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** HTTP and WebSocket glue for logs: agent appends, paged replay, text download, live viewers. */
public final class LogRoutes implements Routes {
    private static final Logger log = LoggerFactory.getLogger(LogRoutes.class);
    /** A viewer that cannot take a frame for this long is dropped; it can reconnect from its offset. */
    private static final long SEND_TIMEOUT_SECONDS = 60;

    private final Authenticator auth;
    private final LogService logs;
    private final LogViewer viewer;
    private final ViewerRegistry viewers;
    private final TaskAccess access;
    /** Every open WebSocket (viewers and agent uploads), closed with 1001 when the server shuts down. */
    private final Set<WsContext> open = ConcurrentHashMap.newKeySet();

    private final WsTickets tickets;
    private final StoreAvailability store;

    public LogRoutes(
            Authenticator auth,
            WsTickets tickets,
            TaskService tasks,
            LogService logs,
            LogViewer viewer,
            ViewerRegistry viewers,
            StoreAvailability store) {
        this.store = store;
        this.auth = auth;
        this.tickets = tickets;
        this.logs = logs;
        this.viewer = viewer;
        this.viewers = viewers;
        this.access = new TaskAccess(tasks);
    }

    @Override
    public void register(RouteTable t) {
        // The agent running an attempt: over its WebSocket, or over HTTP when that fails.
        t.ws(ApiPaths.WS_AGENT_LOGS, this::agentUpload);
        t.post(ApiPaths.TASK_LOGS, this::append);
        // People: live, a page at a time, or the whole log as text.
        t.ws(ApiPaths.WS_VIEWER, this::viewer);
        t.get(ApiPaths.TASK_LOGS, this::page);
        t.get(ApiPaths.TASK_LOG_TEXT, this::text);
    }

    private void append(Context ctx) {
        var upload = JobUploads.read(auth, ctx, LogBatch.class, LogBatchJson::parse);
        ctx.json(logs.append(upload.taskId(), upload.agentId(), upload.body()));
    }

    private void page(Context ctx) {
        TaskView task = access.require(auth.user(ctx.header("Authorization")), ctx.pathParam("task_id"), Role.READ);
        ctx.json(logs.page(
                task,
                QueryParams.intParam(ctx, "attempt", 0),
                QueryParams.longParam(ctx, "offset", 0),
                QueryParams.intParam(ctx, "limit", 1000)));
    }

    private void text(Context ctx) throws IOException {
        TaskView task = access.require(auth.user(ctx.header("Authorization")), ctx.pathParam("task_id"), Role.READ);
        int attempt = QueryParams.intParam(ctx, "attempt", 0);
        logs.page(task, attempt, 0, 1); // a bad attempt is refused before the reply starts
        ctx.contentType("text/plain; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"" + task.taskId() + ".log\"");
        try (BufferedWriter out =
                new BufferedWriter(new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8))) {
            logs.forEachLine(task, attempt, line -> {
                try {
                    out.write(line.line());
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * {@code /ws/logs?task_id=…&offset=N[&attempt=A]}: checks the token and the task before anything is sent, then streams on a
     * virtual thread of its own. Refusals send an error body and close with 4000 + the HTTP status (4401, 4404, …).
     * A browser, which cannot set the Authorization header here, sends {@code &ticket=} from {@code POST
     * /ws-tickets} instead; the ticket's principal then needs the same rights as a token would.
     */
    private void viewer(WsConfig ws) {
        ws.onConnect(ctx -> {
            String taskId;
            long offset;
            int attempt;
            try {
                String ticket = ctx.queryParam("ticket");
                Principal.User user =
                        ticket == null ? auth.user(ctx.header("Authorization")) : auth.user(tickets.redeem(ticket));
                taskId = ctx.queryParam("task_id");
                if (taskId == null)
                    throw ApiProblem.badRequest("missing_task_id", "task_id query parameter is required");
                TaskView task = access.require(user, taskId, Role.READ); // before any line is sent
                offset = parseOffset(ctx);
                attempt = QueryParams.intParam(ctx.queryParam("attempt"), "attempt", 0);
                logs.page(task, attempt, 0, 1); // an attempt the task never had: 400 invalid_attempt, as on replay
            } catch (RuntimeException e) {
                refuse(ctx, asRefusal(e));
                return;
            }
            ctx.enableAutomaticPings(15, TimeUnit.SECONDS);
            String id = taskId;
            long from = offset;
            int which = attempt;
            ctx.attribute(VIEWED_TASK, taskId);
            open.add(ctx);
            viewers.joined(taskId);
            Thread.ofVirtual().name("viewer-" + taskId).start(() -> serve(ctx, id, which, from));
        });
        ws.onClose(ctx -> {
            open.remove(ctx);
            String taskId = ctx.attribute(VIEWED_TASK);
            if (taskId != null) viewers.left(taskId);
        });
    }

    private static final String VIEWED_TASK = "iac.viewedTask";
    private static final String PIPELINE = "iac.uploadPipeline";

    /**
     * {@code /ws/agent/logs?task_id=…&attempt=N&stream_mode=auto}: the agent's upload channel. Each text frame is a
     * {@link LogBatch} for that attempt and is answered, in order, by a {@link io.iacrunner.protocol.LogAck} from the
     * same append path as HTTP. A refusal sends the error body and closes with 4000 + the HTTP status (4409 for a
     * stale attempt or a gap); the agent then behaves as it would for the HTTP error.
     */
    private void agentUpload(WsConfig ws) {
        ws.onConnect(ctx -> {
            try {
                String taskId = ctx.queryParam("task_id");
                if (taskId == null)
                    throw ApiProblem.badRequest("missing_task_id", "task_id query parameter is required");
                var job = auth.job(ctx.header("Authorization"), taskId);
                String attempt = ctx.queryParam("attempt");
                ctx.attribute(
                        PIPELINE,
                        new UploadPipeline(
                                taskId,
                                job.agentId(),
                                logs,
                                frame -> checked(job, taskId, attempt, frame),
                                replies(ctx),
                                this::asRefusal));
                ctx.enableAutomaticPings(15, TimeUnit.SECONDS);
                open.add(ctx);
            } catch (RuntimeException e) {
                refuse(ctx, asRefusal(e));
            }
        });
        ws.onClose(ctx -> {
            open.remove(ctx);
            UploadPipeline pipeline = ctx.attribute(PIPELINE);
            if (pipeline != null) pipeline.close();
        });
        ws.onMessage(ctx -> {
            UploadPipeline pipeline = ctx.attribute(PIPELINE);
            if (pipeline == null) return; // refused at connect; the close is on its way
            pipeline.accept(ctx.message());
        });
    }

    /**
     * One frame of an agent's upload as a batch ready to store; what refuses it is sent after the acks of the batches
     * before it. The agent treats 4503 as it treats HTTP 503: it retries the batch, over HTTP meanwhile.
     */
    private CheckedBatch checked(Principal.Job job, String taskId, String connectionAttempt, String frame) {
        LogBatch batch = LogBatchJson.parse(frame);
        if (batch == null) batch = Bodies.parse(frame.getBytes(StandardCharsets.UTF_8), LogBatch.class);
        if (connectionAttempt != null && !connectionAttempt.equals(Integer.toString(batch.attempt()))) {
            throw ApiProblem.badRequest("attempt_mismatch", "the batch's attempt differs from the connection's");
        }
        Authenticator.requireAttempt(job, batch.attempt());
        return logs.check(taskId, batch);
    }

    /** Acks and the refusal go out from the pipeline's writer, in the order the batches came. */
    private static UploadPipeline.Replies replies(WsContext ctx) {
        return new UploadPipeline.Replies() {
            @Override
            public boolean ack(LogAck ack) {
                try {
                    sendBlocking(ctx, WireJson.lenient().writeValueAsString(ack));
                    return true;
                } catch (IOException e) {
                    // The agent went away before its ack was written; it sends the batch again, and the append
                    // skips it.
                    log.debug("agent upload of {} went away: {}", ctx.queryParam("task_id"), e.getMessage());
                    return false;
                }
            }

            @Override
            public void refuse(ApiProblem problem) {
                LogRoutes.refuse(ctx, problem);
            }
        };
    }

    /**
     * The server is shutting down: every WebSocket is closed with 1001 (going away). Viewers reconnect from their
     * offset, to another replica behind the same address; agents send over HTTP to their next server meanwhile.
     */
    public void goingAway() {
        for (WsContext ctx : open) {
            if (ctx.session.isOpen()) ctx.closeSession(1001, "server shutting down; reconnect");
        }
    }

    private void serve(WsConnectContext ctx, String taskId, int attempt, long offset) {
        try {
            viewer.stream(taskId, attempt, offset, new LogViewer.Sink() {
                @Override
                public boolean isOpen() {
                    return ctx.session.isOpen();
                }

                @Override
                public void send(ViewerFrame frame) throws IOException {
                    sendBlocking(ctx, WireJson.lenient().writeValueAsString(frame));
                }
            });
            if (ctx.session.isOpen()) ctx.closeSession(1000, "task finished");
        } catch (IOException e) {
            log.debug("viewer of {} went away: {}", taskId, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (store.failed(e)) {
                // 4503: the viewer reconnects from its offset with backoff, as after any transient refusal.
                if (ctx.session.isOpen()) refuse(ctx, StoreAvailability.refusal());
                return;
            }
            log.warn("viewer of {} failed", taskId, e);
            if (ctx.session.isOpen()) ctx.closeSession(1011, "server error");
        }
    }

    /** What a WebSocket refuses with: the problem itself, or a store outage as 503 (logged once elsewhere). */
    private ApiProblem asRefusal(RuntimeException e) {
        if (e instanceof ApiProblem problem) return problem;
        if (store.failed(e)) return StoreAvailability.refusal();
        throw e;
    }

    private static long parseOffset(WsConnectContext ctx) {
        String raw = ctx.queryParam("offset");
        if (raw == null || raw.isEmpty()) return 0;
        try {
            long offset = Long.parseLong(raw);
            if (offset < 0) throw new NumberFormatException();
            return offset;
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest("invalid_offset", "offset must be a whole number >= 0");
        }
    }

    private static void refuse(WsContext ctx, ApiProblem problem) {
        try {
            sendBlocking(ctx, WireJson.lenient().writeValueAsString(ApiError.of(problem.code(), problem.getMessage())));
        } catch (IOException e) {
            log.debug("could not send the refusal: {}", e.getMessage());
        }
        ctx.closeSession(4000 + problem.status(), problem.code());
    }

    /** Waits until Jetty has written the frame, so a slow viewer slows only its own thread. */
    private static void sendBlocking(WsContext ctx, String text) throws IOException {
        Callback.Completable done = new Callback.Completable();
        ctx.session.sendText(text, done);
        try {
            done.get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("send failed: " + e, e);
        }
    }
}
