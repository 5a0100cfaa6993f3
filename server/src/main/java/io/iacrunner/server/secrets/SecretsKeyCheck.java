package io.iacrunner.server.secrets;

import org.jdbi.v3.core.Jdbi;

/**
 * Refuses to start a server whose secrets key is not the one the store's sealed values were sealed with: better one
 * clear error at start (a replica given the wrong key file, a lost key) than runs that fail one by one later.
 */
public final class SecretsKeyCheck {
    private SecretsKeyCheck() {}

    public static void require(Jdbi jdbi, SecretBox box) {
        // Bytes 2..9 of a sealed value are its key id (SecretBox's format).
        jdbi.withHandle(h -> h.createQuery("""
                        select encode(substring(v from 2 for 8), 'hex') from (
                            select sealed_value as v from workspace_variables
                            union all select sealed_variables from tasks where sealed_variables is not null) sealed
                        where encode(substring(v from 2 for 8), 'hex') <> :key limit 1""")
                        .bind("key", box.keyId())
                        .mapTo(String.class)
                        .findOne())
                .ifPresent(other -> {
                    throw new IllegalStateException("the store holds values sealed with secrets key " + other
                            + ", but this server's key is " + box.keyId() + "; start it with the key file the store was"
                            + " written with (see --secrets-key-file)");
                });
    }
}
