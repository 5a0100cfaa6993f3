package io.iacrunner.cli;

import io.iacrunner.server.settings.ServerConfig;
import io.iacrunner.server.settings.ServerSettings;
import io.iacrunner.server.store.Database;
import io.iacrunner.server.store.StoreTransfer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Operator tasks on the store itself, with the server stopped: moving it to another PostgreSQL. */
@Command(
        name = "admin",
        mixinStandardHelpOptions = true,
        description = "Operator tasks on the store: export it to a file, import such a file into a new database.",
        subcommands = {AdminCommand.Export.class, AdminCommand.Import.class})
public final class AdminCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command: export or import");
    }

    /** The store settings of {@code ./iac server} (data dir, database-*), from the same table. */
    public static final class StoreOptions implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SettingsOptions.add(spec, SettingsOptions.STORE);
            return spec;
        }
    }

    /** What export and import share: the store settings, and the store opened (and migrated) for them. */
    abstract static class StoreCommand implements Callable<Integer> {
        final CliContext ctx;

        @Spec
        CommandSpec spec;

        @Option(
                names = ServerSettings.CONFIG_FLAG,
                paramLabel = "FILE",
                description = "The server's settings file (env " + ServerSettings.CONFIG_ENV + ").")
        Path configFile;

        StoreCommand(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() throws IOException {
            ServerConfig config = SettingsOptions.resolve(spec, ctx, configFile);
            if (Database.embeddedInUse(config)) {
                throw new UsageException("the embedded database in " + config.dataDir() + " is in use (is the server"
                        + " running? stop it first)");
            }
            Database db;
            try {
                db = Database.open(config, new SimpleMeterRegistry());
            } catch (RuntimeException e) {
                throw new StartupException("cannot open the store", e);
            }
            try (db) {
                ctx.out().println(run(config, new StoreTransfer(db)));
            } catch (StoreTransfer.TransferException e) {
                throw new UsageException(e.getMessage());
            }
            return ExitCodes.OK;
        }

        /** Does the work; returns the line to print. */
        abstract String run(ServerConfig config, StoreTransfer store) throws IOException;
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            modelTransformer = StoreOptions.class,
            description = {
                "Write the whole store to FILE (gzip), from one consistent snapshot. Stop the server first",
                "when it runs on the embedded database; an external one may keep serving."
            })
    static final class Export extends StoreCommand {
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where the export goes.")
        Path out;

        Export(CliContext ctx) {
            super(ctx);
        }

        @Override
        String run(ServerConfig config, StoreTransfer store) throws IOException {
            Path target = ctx.resolve(out);
            Path partial = target.resolveSibling(target.getFileName() + ".partial");
            long rows;
            try (OutputStream file = new GZIPOutputStream(Files.newOutputStream(partial))) {
                rows = store.export(file);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return "exported " + rows + " rows to " + target;
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            modelTransformer = StoreOptions.class,
            description = {
                "Load FILE (made by 'admin export') into the configured store, which must be new: migrated",
                "by this command, and never served from. Then start the servers on it."
            })
    static final class Import extends StoreCommand {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "An export made by 'admin export'.")
        Path in;

        Import(CliContext ctx) {
            super(ctx);
        }

        @Override
        String run(ServerConfig config, StoreTransfer store) throws IOException {
            Path source = ctx.resolve(in);
            if (!Files.isRegularFile(source)) throw new UsageException("--in: " + source + " does not exist");
            long rows;
            try (InputStream file = new GZIPInputStream(Files.newInputStream(source))) {
                rows = store.importFrom(file);
            }
            return "imported " + rows + " rows from " + source + " into "
                    + (config.embeddedDatabase()
                            ? "the embedded database in " + config.dataDir()
                            : config.databaseUrl());
        }
    }
}
