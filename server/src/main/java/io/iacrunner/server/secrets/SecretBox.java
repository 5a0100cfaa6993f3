package io.iacrunner.server.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals sensitive values for storage: AES-256-GCM with a fresh 96-bit nonce per value. The sealed form is
 * {@code [format 1][key id 8][nonce 12][ciphertext + 128-bit tag]}; the key id (the start of the key's SHA-256) lets
 * a server with the wrong key say so instead of failing with a bare tag mismatch. The context (which workspace
 * variable, which task) is authenticated as associated data, so a sealed value copied into another row does not open.
 */
public final class SecretBox {
    private static final byte FORMAT = 1;
    static final int KEY_BYTES = 32;
    static final int KEY_ID_BYTES = 8;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER = 1 + KEY_ID_BYTES + NONCE_BYTES;

    private final SecretKey key;
    private final byte[] keyId;
    private final SecureRandom random = new SecureRandom();

    public SecretBox(byte[] keyBytes) {
        if (keyBytes.length != KEY_BYTES) {
            throw new IllegalArgumentException("a secrets key is " + KEY_BYTES + " bytes, not " + keyBytes.length);
        }
        this.key = new SecretKeySpec(keyBytes.clone(), "AES");
        this.keyId = Arrays.copyOf(sha256(keyBytes), KEY_ID_BYTES);
    }

    /** The key's public fingerprint: safe to log, the same on every replica that shares the key. */
    public String keyId() {
        return HexFormat.of().formatHex(keyId);
    }

    public byte[] seal(byte[] plaintext, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, context);
            ByteBuffer out = ByteBuffer.allocate(HEADER + cipher.getOutputSize(plaintext.length));
            out.put(FORMAT).put(keyId).put(nonce).put(cipher.doFinal(plaintext));
            return out.array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    /** @throws SealedValueException the value is damaged, sealed with another key, or belongs to another context */
    public byte[] open(byte[] sealed, String context) {
        if (sealed.length < HEADER + TAG_BITS / 8 || sealed[0] != FORMAT) {
            throw new SealedValueException("a sealed value of " + context + " is damaged or of an unknown format");
        }
        byte[] sealedWith = Arrays.copyOfRange(sealed, 1, 1 + KEY_ID_BYTES);
        if (!MessageDigest.isEqual(sealedWith, keyId)) {
            throw new SealedValueException("the value of " + context + " was sealed with key "
                    + HexFormat.of().formatHex(sealedWith) + ", but this server's secrets key is " + keyId());
        }
        byte[] nonce = Arrays.copyOfRange(sealed, 1 + KEY_ID_BYTES, HEADER);
        try {
            return cipher(Cipher.DECRYPT_MODE, nonce, context).doFinal(sealed, HEADER, sealed.length - HEADER);
        } catch (GeneralSecurityException e) {
            throw new SealedValueException(
                    "the sealed value of " + context + " does not verify: damaged, or moved" + " from another record");
        }
    }

    private Cipher cipher(int mode, byte[] nonce, String context) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
