package io.iacrunner.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The single JSON mapping of the wire protocol: snake_case field names, ISO-8601 timestamps.
 *
 * <p>{@link #strict()} is what a receiver of untrusted input uses (the server reading requests): unknown fields,
 * trailing garbage, duplicate keys and nulls for primitives are errors. {@link #lenient()} is what clients use to read
 * server replies, so a newer server may add fields without breaking older agents.
 */
public final class WireJson {
    /** Deeper JSON is refused: Terraform states nest deeply, but not this deep, and deep nesting is a cheap way to burn stack. */
    public static final int MAX_NESTING_DEPTH = 256;

    private static final ObjectMapper STRICT = build(true);
    private static final ObjectMapper LENIENT = build(false);
    private static final ObjectMapper DOCUMENTS = build(true)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

    private WireJson() {}

    public static ObjectMapper strict() {
        return STRICT;
    }

    public static ObjectMapper lenient() {
        return LENIENT;
    }

    /**
     * For JSON documents a user hands over (a configuration, variables): as strict as {@link #strict()} (so the CLI
     * refuses a duplicate key as the API does, instead of silently keeping the last one), and keeping numbers exactly
     * as written.
     */
    public static ObjectMapper documents() {
        return DOCUMENTS;
    }

    private static ObjectMapper build(boolean strict) {
        JsonMapper mapper = JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .addModule(IsoInstants.module())
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, strict)
                .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, strict)
                .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, strict)
                .build();
        mapper.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .build());
        return mapper;
    }
}
