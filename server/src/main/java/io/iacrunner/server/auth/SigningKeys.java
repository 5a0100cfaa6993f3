package io.iacrunner.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;

/**
 * The asymmetric (ES256) keys tokens are signed with, kept in the store so every replica shares them. The newest key
 * signs; any known key verifies by its key id, which is what lets keys rotate without invalidating live tokens.
 */
public final class SigningKeys {
    private final Jdbi jdbi;
    private final Map<String, ECKey> byKid = new ConcurrentHashMap<>();
    private volatile ECKey current;

    public SigningKeys(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Loads the stored keys, creating the first one on a new store. */
    public SigningKeys load() {
        List<String> stored = readAll();
        if (stored.isEmpty()) {
            insert(generate());
            stored = readAll();
        }
        for (String json : stored) remember(parse(json));
        return this;
    }

    ECKey current() {
        return current;
    }

    Optional<ECKey> find(String kid) {
        if (kid == null) return Optional.empty();
        ECKey key = byKid.get(kid);
        if (key == null) {
            // Another replica may have rotated since we loaded.
            jdbi.withHandle(h -> h.createQuery("select jwk from signing_keys where kid = :kid").bind("kid", kid)
                            .mapTo(String.class).findOne())
                    .map(SigningKeys::parse)
                    .ifPresent(this::remember);
            key = byKid.get(kid);
        }
        return Optional.ofNullable(key);
    }

    private List<String> readAll() {
        return jdbi.withHandle(h -> h.createQuery("select jwk from signing_keys order by created_at, kid")
                .mapTo(String.class).list());
    }

    private void insert(ECKey key) {
        // Two replicas starting on a new store may both generate; the conflict clause keeps both keys valid.
        jdbi.useHandle(h -> h.createUpdate("insert into signing_keys (kid, jwk) values (:kid, :jwk) on conflict do nothing")
                .bind("kid", key.getKeyID()).bind("jwk", key.toJSONString()).execute());
    }

    private void remember(ECKey key) {
        byKid.put(key.getKeyID(), key);
        current = key; // readAll() is ordered oldest first, so the last one remembered is the newest.
    }

    private static ECKey generate() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(UUID.randomUUID().toString()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a signing key", e);
        }
    }

    private static ECKey parse(String json) {
        try {
            return ECKey.parse(json);
        } catch (ParseException e) {
            throw new IllegalStateException("a stored signing key is unreadable", e);
        }
    }
}
