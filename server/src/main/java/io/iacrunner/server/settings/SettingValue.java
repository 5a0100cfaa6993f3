package io.iacrunner.server.settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * One setting's raw text and where it came from, with the parsers the table uses; a bad value is refused with a
 * message naming its source ({@code --port}, {@code IAC_PORT} or {@code server.properties: port}).
 *
 * @param paths resolves a relative path the way the user meant it (against the directory the command was run in)
 */
public record SettingValue(String text, String source, Function<String, Path> paths) {
    public Path path() {
        return paths.apply(text);
    }

    public int integer(int min, int max) {
        long value = number(min, max);
        return (int) value;
    }

    public long number(long min, long max) {
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw invalid("must be a whole number");
        }
        if (value < min || value > max) {
            throw invalid(max == Long.MAX_VALUE ? "must be " + min + " or more" : "must be " + min + ".." + max);
        }
        return value;
    }

    public Duration seconds(long min) {
        return Duration.ofSeconds(number(min, Long.MAX_VALUE));
    }

    public String oneOf(List<String> choices) {
        String value = text.trim();
        if (!choices.contains(value)) throw invalid("must be one of " + String.join(", ", choices));
        return value;
    }

    /** The text, required to start with one of {@code prefixes} (a URL scheme, say). */
    public String startingWith(String what, String... prefixes) {
        for (String prefix : prefixes) {
            if (text.startsWith(prefix)) return text;
        }
        throw invalid("must be " + what);
    }

    public SettingException invalid(String why) {
        return new SettingException(source + " " + why + ", got '" + text + "'");
    }
}
