package io.iacrunner.server.settings;

import java.util.Locale;

/**
 * One server setting. Its one name gives all three spellings: the flag {@code --NAME}, the environment variable
 * {@code IAC_NAME} (upper case, dashes as underscores) and the config file key {@code NAME}, so they cannot drift.
 *
 * @param label what the value is, in help texts ({@code SECONDS}, {@code URL})
 * @param defaultText the default as help and docs show it ({@link ServerConfig#builder()} holds the value itself)
 * @param binder applies a value from any source to the configuration, refusing a bad one with a clear message
 */
public record Setting(String name, String label, String defaultText, String description, Binder binder) {
    /** Applies one value; {@link SettingValue}'s parsers throw a {@link SettingException} naming the source. */
    @FunctionalInterface
    public interface Binder {
        void apply(ServerConfig.Builder config, SettingValue value);
    }

    public String flag() {
        return "--" + name;
    }

    public String env() {
        return "IAC_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The help text: what it does, its default and its environment variable. */
    public String help() {
        return description + " (default: " + defaultText + "; env " + env() + ")";
    }
}
