package io.iacrunner.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.iacrunner.server.problems.ApiProblem;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Issues and verifies the short-lived JWTs of the machine principals: agent tokens (from registration, renewed through
 * pings) and job tokens (one task attempt's uploads). The tokens people hand out are opaque and revocable
 * ({@link ApiTokens}).
 *
 * <p>Agent tokens are ES256: their public keys are published, so anyone may check one. Job tokens are HS256 under a
 * key derived from the same signing key ({@link JobTokenKeys}): one is minted with every claim and checked on the
 * attempt's first upload, only ever by the service itself, and an ES256 signature was the costliest step of a claim.
 */
public final class Tokens {
    public record Issued(String token, Instant expiresAt) {}

    private static final String ISSUER = "iac-runner";
    private static final String TYPE_CLAIM = "iac_typ";
    private static final String POOL_CLAIM = "pool";
    private static final String TASK_CLAIM = "task";
    private static final String ATTEMPT_CLAIM = "attempt";
    private static final String JOB = "job";

    /** Tokens whose signature has been checked, the most recently used kept. */
    static final int VERIFIED_KEPT = 10_000;

    private final SigningKeys keys;
    private final JobTokenKeys jobKeys;
    private final Clock clock;
    /**
     * Signatures already checked, by token. An agent sends the same token with every request for as long as it lives,
     * and checking an ES256 signature was the costliest step of a pull. The answer cannot change: a token is the same
     * bytes under the same key, and keys are never dropped ({@link SigningKeys} only adds them). Only the signature
     * and the fixed claims are remembered; the expiry is checked on every use.
     */
    private final Map<String, JWTClaimsSet> verified =
            Collections.synchronizedMap(new LinkedHashMap<>(1_024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, JWTClaimsSet> eldest) {
                    return size() > VERIFIED_KEPT;
                }
            });

    public Tokens(SigningKeys keys, Clock clock) {
        this.keys = keys;
        this.jobKeys = new JobTokenKeys();
        this.clock = clock;
    }

    public Issued issueAgent(String agentId, String poolId, Duration ttl) {
        Instant expires = clock.instant().plus(ttl);
        String token = sign(base("agent", agentId)
                .claim(POOL_CLAIM, poolId)
                .expirationTime(Date.from(expires))
                .build());
        return new Issued(token, expires);
    }

    public Issued issueJob(String agentId, String taskId, int attempt, Duration ttl) {
        Instant expires = clock.instant().plus(ttl);
        JWTClaimsSet claims = base(JOB, agentId)
                .claim(TASK_CLAIM, taskId)
                .claim(ATTEMPT_CLAIM, attempt)
                .expirationTime(Date.from(expires))
                .build();
        ECKey key = keys.current();
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(), claims);
        try {
            jwt.sign(new MACSigner(jobKeys.of(key)));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a job token", e);
        }
        return new Issued(jwt.serialize(), expires);
    }

    /** Verifies signature, issuer and expiry; any failure is a 401 that does not say which check failed. */
    public Principal verify(String token) {
        try {
            JWTClaimsSet claims = signedClaims(token);
            Date exp = claims.getExpirationTime();
            if (!clock.instant().isBefore(exp.toInstant())) throw ApiProblem.unauthorized("token expired");
            String type = claims.getStringClaim(TYPE_CLAIM);
            if (type == null) throw invalid();
            return switch (type) {
                case "agent" -> agent(claims);
                case JOB -> {
                    String taskId = claims.getStringClaim(TASK_CLAIM);
                    Integer attempt = claims.getIntegerClaim(ATTEMPT_CLAIM);
                    if (taskId == null || attempt == null) throw invalid();
                    yield new Principal.Job(claims.getSubject(), taskId, attempt, exp.toInstant());
                }
                default -> throw invalid();
            };
        } catch (ParseException e) {
            throw invalid();
        }
    }

    /**
     * The agent a genuine agent token names, even expired, as long as it expired less than {@code expiredAtMost} ago:
     * the proof an agent coming back from a long outage gives, beside its pool token, that it is the agent it was.
     * Empty for anything else (not ours, not an agent token, expired too long ago).
     */
    public Optional<Principal.Agent> formerAgent(String token, Duration expiredAtMost) {
        try {
            JWTClaimsSet claims = signedClaims(token);
            if (!"agent".equals(claims.getStringClaim(TYPE_CLAIM))) return Optional.empty();
            if (claims.getExpirationTime().toInstant().plus(expiredAtMost).isBefore(clock.instant()))
                return Optional.empty();
            return Optional.of(agent(claims));
        } catch (ParseException | ApiProblem e) {
            return Optional.empty();
        }
    }

    private static Principal.Agent agent(JWTClaimsSet claims) throws ParseException {
        return new Principal.Agent(
                claims.getSubject(),
                claims.getStringClaim(POOL_CLAIM),
                claims.getExpirationTime().toInstant());
    }

    /** The claims of a token we signed (ES256, a key of ours, our issuer, with an expiry), whatever that expiry is. */
    private JWTClaimsSet signedClaims(String token) throws ParseException {
        JWTClaimsSet known = verified.get(token);
        if (known != null) return known;
        JWTClaimsSet checked = checkSignature(token);
        verified.put(token, checked);
        return checked;
    }

    private JWTClaimsSet checkSignature(String token) throws ParseException {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
            boolean mac = JWSAlgorithm.HS256.equals(alg);
            if (!mac && !JWSAlgorithm.ES256.equals(alg)) throw invalid();
            ECKey key = keys.find(jwt.getHeader().getKeyID()).orElseThrow(Tokens::invalid);
            boolean valid = mac
                    ? jwt.verify(new MACVerifier(jobKeys.of(key)))
                    : jwt.verify(new ECDSAVerifier(key.toECPublicKey()));
            if (!valid) throw invalid();
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            // The job key signs job tokens only: an HS256 token of any other kind is not ours.
            if (mac && !JOB.equals(claims.getStringClaim(TYPE_CLAIM))) throw invalid();
            if (!ISSUER.equals(claims.getIssuer())) throw invalid();
            if (claims.getExpirationTime() == null) throw invalid(); // every JWT here is short-lived
            return claims;
        } catch (JOSEException e) {
            throw invalid();
        }
    }

    private JWTClaimsSet.Builder base(String type, String subject) {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(subject)
                .claim(TYPE_CLAIM, type)
                .issueTime(Date.from(clock.instant()))
                .jwtID(UUID.randomUUID().toString());
    }

    private String sign(JWTClaimsSet claims) {
        ECKey key = keys.current();
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.ES256)
                            .keyID(key.getKeyID())
                            .build(),
                    claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }

    private static ApiProblem invalid() {
        return ApiProblem.unauthorized("invalid token");
    }
}
