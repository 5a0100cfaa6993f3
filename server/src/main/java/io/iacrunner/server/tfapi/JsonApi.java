package io.iacrunner.server.tfapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.WireJson;
import io.iacrunner.server.problems.ApiProblem;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * JSON:API as Terraform's client (go-tfe) speaks it: documents written with {@code data: {id, type, attributes,
 * relationships}}, and request bodies read strictly. A body that is not JSON, not an object with a {@code data} object,
 * or names another resource type is refused before anything changes (400, and 409 for a type JSON:API's own way), as is
 * an attribute or relationship of the wrong shape (422, naming it).
 */
final class JsonApi {
    static final String MEDIA_TYPE = "application/vnd.api+json";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonApi() {}

    /** A resource object. */
    static ObjectNode resource(String type, String id) {
        ObjectNode resource = NODES.objectNode();
        resource.put("id", id).put("type", type);
        resource.putObject("attributes");
        return resource;
    }

    static ObjectNode attributes(ObjectNode resource) {
        return (ObjectNode) resource.get("attributes");
    }

    /** Adds a to-one relationship to {@code resource}. */
    static ObjectNode relate(ObjectNode resource, String name, String type, String id) {
        ObjectNode relationships = resource.has("relationships")
                ? (ObjectNode) resource.get("relationships")
                : resource.putObject("relationships");
        relationships.putObject(name).putObject("data").put("type", type).put("id", id);
        return resource;
    }

    static void render(Context ctx, int status, ObjectNode resource) {
        ObjectNode document = NODES.objectNode();
        document.set("data", resource);
        send(ctx, status, document);
    }

    static void renderList(Context ctx, List<ObjectNode> resources) {
        ObjectNode document = NODES.objectNode();
        ArrayNode data = document.putArray("data");
        resources.forEach(data::add);
        document.putObject("meta")
                .putObject("pagination")
                .put("current-page", 1)
                .put("total-pages", 1)
                .put("total-count", resources.size());
        send(ctx, 200, document);
    }

    private static void send(Context ctx, int status, ObjectNode document) {
        try {
            ctx.status(status).contentType(MEDIA_TYPE).result(WireJson.lenient().writeValueAsBytes(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of our own always writes
        }
    }

    /** The {@code data} of a request body, which must be a resource object of {@code type}. */
    static Data read(Context ctx, String type) {
        String contentType = ctx.contentType();
        if (contentType != null) {
            String media = contentType.toLowerCase(Locale.ROOT);
            if (!media.startsWith(MEDIA_TYPE) && !media.startsWith("application/json")) {
                throw new ApiProblem(415, "unsupported_media_type", "send JSON:API with Content-Type: " + MEDIA_TYPE);
            }
        }
        JsonNode body = tree(ctx.bodyAsBytes());
        if (!(body instanceof ObjectNode document) || !(document.get("data") instanceof ObjectNode data)) {
            throw ApiProblem.badRequest("invalid_document", "the body must be a JSON:API document with a data object");
        }
        JsonNode sent = data.get("type");
        if (sent == null || !sent.isTextual()) {
            throw ApiProblem.badRequest("invalid_document", "data.type must be the string \"" + type + "\"");
        }
        if (!sent.asText().equals(type)) {
            throw ApiProblem.conflict(
                    "wrong_resource_type",
                    "data.type is \"" + sent.asText() + "\"; this endpoint takes \"" + type + "\"");
        }
        return new Data(member(data, "attributes"), member(data, "relationships"));
    }

    /** A JSON object body of an action (apply, discard, cancel): empty, or an object with at most a comment. */
    static String comment(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) return null;
        if (!(tree(bytes) instanceof ObjectNode body)) {
            throw ApiProblem.badRequest("invalid_document", "the body must be a JSON object (or empty)");
        }
        for (String name : (Iterable<String>) body::fieldNames) {
            if (!name.equals("comment")) throw ApiProblem.badRequest("unknown_field", "unknown field '" + name + "'");
        }
        JsonNode comment = body.get("comment");
        if (comment == null || comment.isNull()) return null;
        if (!comment.isTextual()) throw invalid("comment", "must be a string");
        return comment.asText();
    }

    private static JsonNode tree(byte[] bytes) {
        if (bytes.length == 0) throw ApiProblem.badRequest("missing_body", "a JSON:API body is required");
        try {
            return WireJson.strict().readTree(bytes);
        } catch (java.io.IOException e) {
            String detail = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
            throw ApiProblem.badRequest("malformed_json", "malformed JSON: " + detail);
        }
    }

    private static ObjectNode member(ObjectNode data, String name) {
        JsonNode member = data.get(name);
        if (member == null || member.isNull()) return NODES.objectNode();
        if (member instanceof ObjectNode object) return object;
        throw invalid("data." + name, "must be an object");
    }

    static ApiProblem invalid(String member, String problem) {
        return new ApiProblem(422, "invalid_attribute", member + " " + problem);
    }

    /** A request's attributes and relationships. */
    record Data(ObjectNode attributes, ObjectNode relationships) {
        /** A boolean attribute; null when absent or null. */
        Boolean bool(String name) {
            JsonNode value = attributes.get(name);
            if (value == null || value.isNull()) return null;
            if (!value.isBoolean()) throw invalid("attribute " + name, "must be true or false");
            return value.asBoolean();
        }

        /** A string attribute; null when absent or null. */
        String string(String name) {
            JsonNode value = attributes.get(name);
            if (value == null || value.isNull()) return null;
            if (!value.isTextual()) throw invalid("attribute " + name, "must be a string");
            return value.asText();
        }

        /** A list attribute of strings; empty when absent or null. */
        List<String> strings(String name) {
            JsonNode value = attributes.get(name);
            List<String> out = new ArrayList<>();
            if (value == null || value.isNull()) return out;
            if (!value.isArray()) throw invalid("attribute " + name, "must be a list of strings");
            for (JsonNode item : value) {
                if (!item.isTextual()) throw invalid("attribute " + name, "must be a list of strings");
                out.add(item.asText());
            }
            return out;
        }

        /** Whether a list attribute is present and not empty. */
        boolean nonEmptyList(String name) {
            JsonNode value = attributes.get(name);
            if (value == null || value.isNull()) return false;
            if (!value.isArray()) throw invalid("attribute " + name, "must be a list");
            return !value.isEmpty();
        }

        /** The id of a required to-one relationship to a resource of {@code type}. */
        String related(String name, String type) {
            JsonNode data = relationships.path(name).path("data");
            if (!(data instanceof ObjectNode object)) {
                throw invalid("relationship " + name, "is required, with data {type: \"" + type + "\", id}");
            }
            if (!type.equals(object.path("type").asText(null))) {
                throw invalid("relationship " + name, "must name a resource of type \"" + type + "\"");
            }
            JsonNode id = object.get("id");
            if (id == null || !id.isTextual() || id.asText().isEmpty()) {
                throw invalid("relationship " + name, "must have a string id");
            }
            return id.asText();
        }
    }
}
