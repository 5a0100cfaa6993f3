package io.iacrunner.server.secrets;

import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Refuses to start a server whose secrets key is not the one the store's sealed values were sealed with: better one
 * clear error at start (a replica given the wrong key file, a lost key) than runs that fail one by one later.
 *
 * <p>The store records the key's id ({@code secrets_key}), so a start compares one row. Only the first start on a store
 * without that record reads every sealed value, once, before recording its own key.
 */
public final class SecretsKeyCheck {
    private SecretsKeyCheck() {}

    public static void require(Jdbi jdbi, SecretBox box) {
        jdbi.useTransaction(h -> {
            Optional<String> recorded = recorded(h);
            if (recorded.isEmpty()) {
                firstSealedWithAnotherKey(h, box).ifPresent(other -> refuse(other, box));
                h.createUpdate("insert into secrets_key (key_id) values (:key) on conflict do nothing")
                        .bind("key", box.keyId())
                        .execute();
                recorded = recorded(h); // a replica starting at the same moment may have recorded its key first
            }
            if (!recorded.orElseThrow().equals(box.keyId())) refuse(recorded.get(), box);
        });
    }

    private static Optional<String> recorded(Handle h) {
        return h.createQuery("select key_id from secrets_key")
                .mapTo(String.class)
                .findOne();
    }

    private static Optional<String> firstSealedWithAnotherKey(Handle h, SecretBox box) {
        // Bytes 2..9 of a sealed value are its key id (SecretBox's format).
        return h.createQuery("""
                        select encode(substring(v from 2 for 8), 'hex') from (
                            select sealed_value as v from workspace_variables
                            union all select sealed_variables from tasks where sealed_variables is not null) sealed
                        where encode(substring(v from 2 for 8), 'hex') <> :key limit 1""").bind("key", box.keyId()).mapTo(String.class).findOne();
    }

    private static void refuse(String other, SecretBox box) {
        throw new IllegalStateException("the store holds values sealed with secrets key " + other
                + ", but this server's key is " + box.keyId() + "; start it with the key file the store was"
                + " written with (see --secrets-key-file)");
    }
}
