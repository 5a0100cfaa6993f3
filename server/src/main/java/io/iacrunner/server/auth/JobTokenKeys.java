package io.iacrunner.server.auth;

import com.nimbusds.jose.jwk.ECKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HS256 key of job tokens, one per signing key and derived from its private half: every replica that holds the
 * signing key (they share {@code signing_keys}) derives the same job key, and it rotates and retires with it, so job
 * tokens need no key material of their own. The derivation is HMAC-SHA256 keyed with the private scalar over a fixed
 * label (a PRF, as HKDF's expand step uses it): the job key reveals nothing about the signing key.
 */
final class JobTokenKeys {
    private static final byte[] LABEL = "iac-runner job token key v1".getBytes(StandardCharsets.US_ASCII);

    private final Map<String, byte[]> byKid = new ConcurrentHashMap<>();

    byte[] of(ECKey signingKey) {
        return byKid.computeIfAbsent(signingKey.getKeyID(), kid -> derive(signingKey));
    }

    private static byte[] derive(ECKey signingKey) {
        if (signingKey.getD() == null)
            throw new IllegalStateException("signing key " + signingKey.getKeyID() + " has no private half");
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(signingKey.getD().decode(), "HmacSHA256"));
            return mac.doFinal(LABEL);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the job token key", e);
        }
    }
}
