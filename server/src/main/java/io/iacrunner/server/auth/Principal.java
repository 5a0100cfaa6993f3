package io.iacrunner.server.auth;

import io.iacrunner.protocol.Role;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Who is calling, as proven by a verified token. */
public sealed interface Principal {
    /** How the audit log names the caller. */
    String actor();

    /**
     * A person's (or CI's) token: everything as {@code globalAdmin}, else the role it holds in each workspace named in
     * {@code grants}, and nothing in any other.
     */
    record User(String tokenId, String description, boolean globalAdmin, Map<String, Role> grants)
            implements Principal {
        /** How people see who did something: the token's description and id. */
        public String name() {
            return description == null || description.isBlank() ? tokenId : description + " (" + tokenId + ")";
        }

        public Optional<Role> roleIn(String workspaceId) {
            return globalAdmin ? Optional.of(Role.ADMIN) : Optional.ofNullable(grants.get(workspaceId));
        }

        @Override
        public String actor() {
            return "token:" + tokenId;
        }
    }

    /** May only register agents into its pool. */
    record PoolMember(String tokenId, String poolId) implements Principal {
        @Override
        public String actor() {
            return "token:" + tokenId;
        }
    }

    /** A registered agent: pings, pulls, deregisters, and asks for job tokens for the attempts it runs. */
    record Agent(String agentId, String poolId, Instant expiresAt) implements Principal {
        @Override
        public String actor() {
            return "agent:" + agentId;
        }
    }

    /** One task attempt's uploads (log, plan, state, phase, result), by the agent that claimed it; nothing else. */
    record Job(String agentId, String taskId, int attempt, Instant expiresAt) implements Principal {
        @Override
        public String actor() {
            return "agent:" + agentId + " job:" + taskId + "/" + attempt;
        }
    }
}
