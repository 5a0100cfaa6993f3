package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the JSON files users hand to the CLI; every problem becomes a one-line {@link UsageException}. */
final class JsonFiles {
    /** Keeps numbers exactly as written (a Terraform config may hold big or precise numbers). */
    static final ObjectMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private JsonFiles() {}

    /** The JSON object in {@code file}; {@code what} names the option in messages, e.g. "--config". */
    static ObjectNode readObject(Path file, String what) {
        if (!Files.exists(file)) throw new UsageException(what + ": file " + file + " does not exist");
        if (!Files.isRegularFile(file)) throw new UsageException(what + ": " + file + " is not a regular file");
        JsonNode node;
        try {
            node = EXACT.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new UsageException(what + ": " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw new UsageException(what + ": cannot read " + file + ": " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) throw new UsageException(what + ": " + file + " is empty");
        if (!node.isObject()) {
            throw new UsageException(what + ": " + file + " must hold a JSON object, found " + describe(node));
        }
        return (ObjectNode) node;
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
