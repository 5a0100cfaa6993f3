package io.iacrunner.server.secrets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.iacrunner.protocol.WireJson;

/** JSON values sealed by a {@link SecretBox}: what the stores keep of sensitive variables. */
public final class SealedJson {
    private final SecretBox box;

    public SealedJson(SecretBox box) {
        this.box = box;
    }

    public byte[] seal(JsonNode value, String context) {
        try {
            return box.seal(WireJson.lenient().writeValueAsBytes(value), context);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that does not serialize", e);
        }
    }

    public JsonNode open(byte[] sealed, String context) {
        byte[] json = box.open(sealed, context);
        try {
            return WireJson.lenient().readTree(json);
        } catch (java.io.IOException e) {
            throw new SealedValueException("the sealed value of " + context + " opened, but is not JSON");
        }
    }

    public String keyId() {
        return box.keyId();
    }
}
