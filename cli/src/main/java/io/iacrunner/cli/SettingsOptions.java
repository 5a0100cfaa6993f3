package io.iacrunner.cli;

import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.settings.ServerSettings;
import io.iacrunner.server.settings.Setting;
import io.iacrunner.server.settings.SettingException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Server settings ({@link ServerSettings#ALL}) as picocli options: each command that takes them adds the ones it
 * needs from the table, so no command lists settings of its own.
 */
final class SettingsOptions {
    private SettingsOptions() {}

    /** What {@code ./iac admin export|import} need: where the store is. */
    static final Predicate<Setting> STORE =
            s -> s.name().equals("data-dir") || s.name().startsWith("database-");

    static void add(CommandSpec spec, Predicate<Setting> which) {
        for (Setting setting : ServerSettings.ALL) {
            if (!which.test(setting)) continue;
            spec.addOption(OptionSpec.builder(setting.flag())
                    .paramLabel(setting.label())
                    .type(String.class)
                    .description(setting.help() + ".")
                    .build());
        }
    }

    /** The configuration from these options, the environment and the config file; a bad value is a usage error. */
    static ServerConfig resolve(CommandSpec spec, CliContext ctx, Path configFile) {
        Map<String, String> flags = new HashMap<>();
        for (Setting setting : ServerSettings.ALL) {
            OptionSpec option = spec.findOption(setting.flag());
            if (option != null) flags.put(setting.name(), option.getValue());
        }
        ServerConfig base = ServerConfig.builder()
                .dataDir(ctx.resolve(ServerConfig.DEFAULT_DATA_DIR))
                .build();
        try {
            return ServerSettings.resolve(
                    base,
                    flags,
                    configFile == null ? null : ctx.resolve(configFile),
                    ctx.env(),
                    text -> ctx.resolve(Path.of(text)));
        } catch (SettingException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
