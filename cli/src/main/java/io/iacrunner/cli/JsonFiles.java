package io.iacrunner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the JSON files users hand to the CLI; every problem becomes a one-line {@link UsageException}. They are read
 * as strictly as the API reads requests ({@link WireJson#documents()}): a key given twice is refused, not silently
 * reduced to its last value (Terraform merges duplicate blocks, so a plan_apply would destroy what the first one
 * manages), and numbers stay exactly as written.
 */
final class JsonFiles {
    /** Keeps numbers exactly as written (a Terraform config may hold big or precise numbers); refuses duplicate keys. */
    static final ObjectMapper EXACT = WireJson.documents();

    private static final Pattern DUPLICATE = Pattern.compile("^Duplicate field '(.*)'");

    private JsonFiles() {}

    /** The JSON object in {@code file}; {@code what} names the option in messages, e.g. "--config". */
    static ObjectNode readObject(Path file, String what) {
        if (!Files.exists(file)) throw new UsageException(what + ": file " + file + " does not exist");
        if (!Files.isRegularFile(file)) throw new UsageException(what + ": " + file + " is not a regular file");
        JsonNode node;
        try {
            node = EXACT.readTree(Files.readAllBytes(file));
        } catch (StreamConstraintsException e) {
            throw new UsageException(what + ": " + file + " nests deeper than " + WireJson.MAX_NESTING_DEPTH
                    + " levels, which the server refuses");
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")";
            Matcher duplicate = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
            if (duplicate.find()) {
                throw new UsageException(
                        what + ": " + file + " has the key \"" + duplicate.group(1) + "\" more than once" + where
                                + "; the server refuses that, since only one of them would count");
            }
            throw new UsageException(what + ": " + file + " is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw new UsageException(what + ": cannot read " + file + ": " + Problems.describe(e));
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
