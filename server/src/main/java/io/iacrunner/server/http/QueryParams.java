package io.iacrunner.server.http;

import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;

/** Query parameters with a precise 400 when they are not what they should be. */
public final class QueryParams {
    private QueryParams() {}

    public static int intParam(Context ctx, String name, int fallback) {
        return (int) longParam(ctx, name, fallback);
    }

    public static long longParam(Context ctx, String name, long fallback) {
        return longParam(ctx.queryParam(name), name, fallback);
    }

    /** For a WebSocket's query, which is not a {@link Context}: {@code raw} is the parameter's value or null. */
    public static int intParam(String raw, String name, int fallback) {
        return (int) longParam(raw, name, fallback);
    }

    private static long longParam(String raw, String name, long fallback) {
        if (raw == null || raw.isEmpty()) return fallback;
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiProblem.badRequest(
                    "invalid_" + name, name + " must be a whole number, not '" + abbreviate(raw) + "'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
