package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded PostgreSQL is durable: a 2xx means the change is on disk, not in a buffer a crash can lose. */
class EmbeddedStoreDurabilityTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theEmbeddedPostgresRunsWithFsyncSynchronousCommitAndFullPageWritesOn() throws Exception {
        try (Connection c =
                        DriverManager.getConnection(EmbeddedPostgresTesting.jdbcUrl(server.dataDir()), "postgres", "");
                Statement sql = c.createStatement()) {
            for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
                try (ResultSet r = sql.executeQuery("show " + setting)) {
                    r.next();
                    assertThat(r.getString(1)).as(setting).isEqualTo("on");
                }
            }
            // Set on the command line, after the library's own -F (fsync off): the later option is the one in force.
            try (ResultSet r = sql.executeQuery("select source from pg_settings where name = 'fsync'")) {
                r.next();
                assertThat(r.getString(1)).isEqualTo("command line");
            }
        }
    }
}
