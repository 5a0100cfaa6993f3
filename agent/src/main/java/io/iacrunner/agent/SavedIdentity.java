package io.iacrunner.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.iacrunner.protocol.WireJson;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's identity on the server, kept in its work directory ({@value #FILE}, 0600) between runs, so a restarted
 * agent is the same agent and its unfinished attempts are still its own. Written whenever the token changes, removed
 * on deregistration. A missing, unreadable or other server's file means: register anew.
 */
final class SavedIdentity {
    static final String FILE = "agent-identity.json";
    private static final Logger log = LoggerFactory.getLogger(SavedIdentity.class);
    private static final ObjectMapper JSON = WireJson.lenient();

    record Identity(String server, String agentId, String agentToken, int pingIntervalSeconds, int leaseSeconds) {}

    private final Path file;

    SavedIdentity(Path workRoot) {
        this.file = workRoot == null ? null : workRoot.resolve(FILE);
    }

    /** Nowhere: every run registers anew (tests that want a fresh agent each time). */
    static SavedIdentity none() {
        return new SavedIdentity(null);
    }

    Path file() {
        return file;
    }

    Optional<Identity> load(URI server) {
        if (file == null || !Files.exists(file)) return Optional.empty();
        try {
            Identity identity = JSON.readValue(file.toFile(), Identity.class);
            if (identity.agentId() == null
                    || identity.agentToken() == null
                    || !server.toString().equals(identity.server())) {
                log.info("{} is for another server or incomplete; registering anew", file);
                return Optional.empty();
            }
            return Optional.of(identity);
        } catch (IOException e) {
            log.warn("cannot read {} ({}); registering anew", file, e.toString());
            return Optional.empty();
        }
    }

    /** Replaces the file atomically, so a crash mid-write leaves the old identity or the new one. */
    void store(Identity identity) {
        if (file == null) return;
        try {
            PrivateFiles.replace(file, JSON.writeValueAsBytes(identity));
        } catch (IOException e) {
            log.warn(
                    "cannot save the agent identity in {} ({}); after a restart the agent registers anew",
                    file,
                    e.toString());
        }
    }

    void forget() {
        if (file == null) return;
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", file, e.toString());
        }
    }
}
