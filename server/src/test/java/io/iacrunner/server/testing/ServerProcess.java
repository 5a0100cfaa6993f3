package io.iacrunner.server.testing;

import io.iacrunner.server.IacServer;
import io.iacrunner.server.ServerConfig;
import java.nio.file.Path;

/**
 * A server in a child JVM, for tests that must kill it for real: {@code ServerProcess DATA_DIR} starts on a free port
 * and prints {@code READY <port>} once it serves.
 */
public final class ServerProcess {
    public static final String READY = "READY ";

    public static void main(String[] args) throws Exception {
        IacServer server = IacServer.start(ServerConfig.defaults().withPort(0).withDataDir(Path.of(args[0])));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println(READY + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Starts it with this JVM's class path; output goes to {@code log}. */
    public static Process launch(Path dataDir, Path log) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ServerProcess.class.getName(),
                dataDir.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
