package io.iacrunner.server.util;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.WireJson;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Column conversions every store needs. */
public final class Rows {
    private Rows() {}

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    public static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int value = rs.getInt(column);
        return rs.wasNull() ? null : value;
    }

    public static ObjectNode object(ResultSet rs, String column) throws SQLException {
        String json = rs.getString(column);
        if (json == null) return null;
        try {
            return (ObjectNode) WireJson.lenient().readTree(json);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new SQLException("column " + column + " does not hold a JSON object", e);
        }
    }

    /** A bytea column as base64 (how bytes travel in JSON); null when the column is null. */
    public static String base64(ResultSet rs, String column) throws SQLException {
        byte[] bytes = rs.getBytes(column);
        return bytes == null ? null : java.util.Base64.getEncoder().encodeToString(bytes);
    }

    /** A JSON column read as {@code type}; null when the column is null. */
    public static <T> T value(ResultSet rs, String column, Class<T> type) throws SQLException {
        return read(rs, column, type, "a " + type.getSimpleName());
    }

    public static java.util.Map<String, String> labels(ResultSet rs, String column) throws SQLException {
        java.util.Map<String, String> labels = read(rs, column, LABELS.getType(), "string labels");
        return labels == null ? java.util.Map.of() : labels;
    }

    public static java.util.List<String> strings(ResultSet rs, String column) throws SQLException {
        java.util.List<String> strings = read(rs, column, STRINGS.getType(), "a list of strings");
        return strings == null ? java.util.List.of() : strings;
    }

    /** The one JSON column reader: null stays null, JSON that is not {@code what} is the store's error, not the caller's. */
    private static <T> T read(ResultSet rs, String column, java.lang.reflect.Type type, String what)
            throws SQLException {
        String json = rs.getString(column);
        if (json == null) return null;
        try {
            return WireJson.lenient()
                    .readValue(json, WireJson.lenient().getTypeFactory().constructType(type));
        } catch (JsonProcessingException e) {
            throw new SQLException("column " + column + " does not hold " + what, e);
        }
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<java.util.List<String>> STRINGS =
            new com.fasterxml.jackson.core.type.TypeReference<>() {};

    private static final com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, String>> LABELS =
            new com.fasterxml.jackson.core.type.TypeReference<>() {};

    public static String json(Object value) {
        if (value == null) return null;
        try {
            return WireJson.lenient().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot encode " + value.getClass().getSimpleName(), e);
        }
    }
}
