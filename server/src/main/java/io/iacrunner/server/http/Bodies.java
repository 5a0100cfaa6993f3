package io.iacrunner.server.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Reads request bodies strictly; every way a body can be wrong becomes a 400 naming what is wrong. */
public final class Bodies {
    private Bodies() {}

    public static <T> T read(Context ctx, Class<T> type) {
        return read(ctx, type, json -> null);
    }

    /**
     * As above, but a hot path's own reader {@code usualForm} reads the body first: it returns the value exactly as
     * the binder would, or null for anything else, which the binder then reads (and refuses) as it always does.
     */
    public static <T> T read(Context ctx, Class<T> type, Function<byte[], T> usualForm) {
        String contentType = ctx.contentType();
        if (contentType != null
                && !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiProblem(415, "unsupported_media_type", "send JSON with Content-Type: application/json");
        }
        byte[] body = ctx.bodyAsBytes();
        if (body.length == 0) throw ApiProblem.badRequest("missing_body", "a JSON body is required");
        T usual = usualForm.apply(body);
        return usual != null ? usual : parse(body, type);
    }

    public static <T> T parse(byte[] body, Class<T> type) {
        try {
            T value = WireJson.strict().readValue(body, type);
            if (value == null)
                throw ApiProblem.badRequest("missing_body", "the body is JSON null; an object is required");
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiProblem.badRequest("unknown_field", "unknown field '" + e.getPropertyName() + "'");
        } catch (JsonMappingException e) {
            // Binding wraps the parser's own failures (bad bytes, depth) in a mapping exception: those are not a
            // wrong field, so report them by their cause.
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof StreamConstraintsException || c instanceof JsonParseException)
                    throw parseProblem((IOException) c);
            }
            ApiProblem shape = shapeProblem(body, type);
            if (shape != null) throw shape;
            String path = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            throw ApiProblem.badRequest(
                    "invalid_field",
                    (path.isEmpty() ? "body" : "field '" + path + "'") + ": " + e.getOriginalMessage());
        } catch (StreamConstraintsException | JsonParseException e) {
            throw parseProblem(e);
        } catch (IOException e) {
            throw ApiProblem.badRequest("malformed_json", "unreadable body: " + e.getMessage());
        }
    }

    /**
     * Binding reports the first thing it trips on, which for a record with primitive fields is a missing one, not
     * an unknown field or trailing data it met first. Only on failure, the body is read again as a tree to name
     * the more basic problem: data after the JSON value, or a top-level field the type does not have.
     */
    private static ApiProblem shapeProblem(byte[] body, Class<?> type) {
        JsonNode tree;
        try {
            tree = WireJson.strict().readTree(body);
        } catch (StreamConstraintsException | JsonParseException e) {
            return parseProblem(e);
        } catch (IOException e) {
            return ApiProblem.badRequest(
                    "malformed_json",
                    "malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (type.isRecord() && tree instanceof ObjectNode object) {
            Set<String> known = Arrays.stream(type.getRecordComponents())
                    .map(c -> SNAKE_CASE.translate(c.getName()))
                    .collect(Collectors.toSet());
            for (String name : (Iterable<String>) object::fieldNames) {
                if (!known.contains(name))
                    return ApiProblem.badRequest("unknown_field", "unknown field '" + name + "'");
            }
        }
        return null;
    }

    private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private static ApiProblem parseProblem(IOException e) {
        if (e instanceof StreamConstraintsException) {
            return ApiProblem.badRequest(
                    "too_deep", "JSON nested deeper than " + WireJson.MAX_NESTING_DEPTH + " levels");
        }
        String detail = e instanceof JsonParseException p ? p.getOriginalMessage() : e.getMessage();
        return ApiProblem.badRequest("malformed_json", "malformed JSON: " + detail);
    }
}
