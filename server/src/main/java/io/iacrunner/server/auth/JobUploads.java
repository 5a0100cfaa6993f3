package io.iacrunner.server.auth;

import io.iacrunner.protocol.AttemptUpload;
import io.iacrunner.server.http.Bodies;
import io.javalin.http.Context;
import java.util.function.Function;

/**
 * How every job upload route (phase, plan, log lines, state, result, hand-back) reads its request, written once: the
 * job token must be for the task in the path, the body must parse, and the body's attempt must be the token's. What
 * the upload then writes is fenced again in its own SQL (the attempt must still be running).
 */
public final class JobUploads {
    private JobUploads() {}

    /** The upload of {@code agentId} for {@code body.attempt()} of {@code taskId}. */
    public record Upload<T extends AttemptUpload>(String taskId, String agentId, T body) {}

    public static <T extends AttemptUpload> Upload<T> read(Authenticator auth, Context ctx, Class<T> type) {
        return read(auth, ctx, type, json -> null);
    }

    /** As above, reading the body with {@code usualForm} first ({@link Bodies#read(Context, Class, Function)}). */
    public static <T extends AttemptUpload> Upload<T> read(
            Authenticator auth, Context ctx, Class<T> type, Function<byte[], T> usualForm) {
        String taskId = ctx.pathParam("task_id");
        Principal.Job job = auth.job(ctx.header("Authorization"), taskId);
        T body = Bodies.read(ctx, type, usualForm);
        Authenticator.requireAttempt(job, body.attempt());
        return new Upload<>(taskId, job.agentId(), body);
    }
}
