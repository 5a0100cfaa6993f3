package io.iacrunner.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.iacrunner.server.testing.ExternalServices;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** An export moves every table of the schema, so a migration that adds one cannot be forgotten by it. */
class StoreTransferTablesTest {
    @Test
    void everyTableIsExportedOrLeftOutOnPurpose() {
        try (ExternalServices.FreshDatabase db = ExternalServices.postgres()) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(db.url());
            ds.setUser(db.user());
            if (db.password() != null) ds.setPassword(db.password());
            Migrations.migrate(ds);
            List<String> tables = Jdbi.create(ds)
                    .withHandle(h -> h.createQuery("""
                            select table_name from information_schema.tables
                            where table_schema = current_schema() and table_type = 'BASE TABLE'""").mapTo(String.class).list());
            Set<String> covered = new HashSet<>(StoreTransfer.TABLES);
            covered.addAll(StoreTransfer.NOT_MOVED);
            assertThat(covered).as("StoreTransfer.TABLES or NOT_MOVED").containsAll(tables);
            assertThat(tables).as("no table listed that the schema lacks").containsAll(StoreTransfer.TABLES);
        }
    }
}
