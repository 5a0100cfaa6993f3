package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.testing.ExternalServices;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class MigrationsTest {
    private static final Pattern SCRIPT = Pattern.compile("V(\\d+)__.+\\.sql");

    @Test
    void latestNamesTheNewestScript() throws IOException, URISyntaxException {
        Path scripts = Path.of(Migrations.class.getResource("/db/migration").toURI());
        int newest;
        try (Stream<Path> files = Files.list(scripts)) {
            newest = files.map(p -> SCRIPT.matcher(p.getFileName().toString()))
                    .filter(Matcher::matches)
                    .mapToInt(m -> Integer.parseInt(m.group(1)))
                    .max()
                    .orElseThrow();
        }
        assertThat(Migrations.LATEST)
                .as("Migrations.LATEST must name the newest script, or a store would not be migrated to it")
                .isEqualTo(Integer.toString(newest));
    }

    @Test
    void anOlderStoreIsMigratedAndOneAtTheLatestVersionIsLeftAsItIs() {
        try (ExternalServices.FreshDatabase db = ExternalServices.postgres()) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(db.url());
            ds.setUser(db.user());
            if (db.password() != null) ds.setPassword(db.password());
            assertThat(Migrations.recordedVersion(ds)).as("an empty database").isNull();
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .target("20")
                    .load()
                    .migrate();
            assertThat(Migrations.recordedVersion(ds)).isEqualTo("20");

            assertThat(Migrations.migrate(ds)).isEqualTo(Migrations.LATEST);
            Jdbi jdbi = Jdbi.create(ds);
            int applied = jdbi.withHandle(h -> h.createQuery("select count(*) from flyway_schema_history")
                    .mapTo(Integer.class)
                    .one());

            assertThat(Migrations.migrate(ds)).isEqualTo(Migrations.LATEST);
            int after = jdbi.withHandle(h -> h.createQuery("select count(*) from flyway_schema_history")
                    .mapTo(Integer.class)
                    .one());
            assertThat(after).as("nothing more recorded").isEqualTo(applied);
        }
    }
}
