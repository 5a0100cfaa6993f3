package io.iacrunner.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Jdbi;

/**
 * The asymmetric (ES256) keys tokens are signed with, kept in the store so every replica shares them. The newest key
 * signs; any known key verifies by its key id, which is what lets keys rotate without invalidating live tokens. A
 * rotation adds a key; every replica signs with it within {@link #REFRESH} and keeps verifying with the old ones,
 * which are deleted once a newer key has signed for longer than any token lives.
 */
public final class SigningKeys {
    static final Duration REFRESH = Duration.ofSeconds(30);
    /** Longer than any JWT issued here lives (agent and job tokens: one hour). */
    static final Duration RETIRE_AFTER = Duration.ofHours(2);

    private final Jdbi jdbi;
    private final Map<String, ECKey> byKid = new ConcurrentHashMap<>();
    private volatile ECKey current;
    private volatile long refreshedAt = System.nanoTime();

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

    /** The key to sign with: the newest, looked up again now and then so a rotation on another replica takes effect. */
    ECKey current() {
        if (System.nanoTime() - refreshedAt > REFRESH.toNanos()) {
            refreshedAt = System.nanoTime();
            readAll().forEach(json -> remember(parse(json)));
        }
        return current;
    }

    /**
     * Adds a new signing key, which signs from now on, and deletes keys a newer key replaced more than
     * {@link #RETIRE_AFTER} ago: no token they signed is still valid.
     *
     * @return the new key's id
     */
    public String rotate() {
        ECKey key = generate();
        insert(key);
        jdbi.useHandle(h ->
                h.createUpdate("""
                delete from signing_keys k where exists (
                    select 1 from signing_keys n where n.created_at > k.created_at
                      and n.created_at < now() - make_interval(secs => :retire))""").bind("retire", RETIRE_AFTER.toSeconds()).execute());
        byKid.clear();
        readAll().forEach(json -> remember(parse(json)));
        refreshedAt = System.nanoTime();
        return key.getKeyID();
    }

    /** The public halves of every key that may still verify a token: what a JWKS endpoint publishes. */
    public JWKSet publicKeys() {
        return new JWKSet(readAll().stream()
                .map(SigningKeys::parse)
                .<JWK>map(ECKey::toPublicJWK)
                .toList());
    }

    Optional<ECKey> find(String kid) {
        if (kid == null) return Optional.empty();
        ECKey key = byKid.get(kid);
        if (key == null) {
            // Another replica may have rotated since we loaded.
            jdbi.withHandle(h -> h.createQuery("select jwk from signing_keys where kid = :kid")
                            .bind("kid", kid)
                            .mapTo(String.class)
                            .findOne())
                    .map(SigningKeys::parse)
                    .ifPresent(this::remember);
            key = byKid.get(kid);
        }
        return Optional.ofNullable(key);
    }

    private List<String> readAll() {
        return jdbi.withHandle(h -> h.createQuery("select jwk from signing_keys order by created_at, kid")
                .mapTo(String.class)
                .list());
    }

    private void insert(ECKey key) {
        // Two replicas starting on a new store may both generate; the conflict clause keeps both keys valid.
        jdbi.useHandle(
                h -> h.createUpdate("insert into signing_keys (kid, jwk) values (:kid, :jwk) on conflict do nothing")
                        .bind("kid", key.getKeyID())
                        .bind("jwk", key.toJSONString())
                        .execute());
    }

    private void remember(ECKey key) {
        byKid.put(key.getKeyID(), key);
        current = key; // readAll() is ordered oldest first, so the last one remembered is the newest.
    }

    private static ECKey generate() {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyID(UUID.randomUUID().toString())
                    .generate();
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
