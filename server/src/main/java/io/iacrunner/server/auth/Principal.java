package io.iacrunner.server.auth;

import io.iacrunner.protocol.Role;
import io.iacrunner.server.util.OrgNames;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Who is calling, as proven by a verified token. */
public sealed interface Principal {
    /** How the audit log names the caller. */
    String actor();

    /**
     * A person's (or CI's) token: everything as {@code globalAdmin} (the site admin), else the role it holds in each
     * workspace named in {@code grants} (keys qualified by organisation, {@link OrgNames}), the role it holds on every
     * workspace of each organisation in {@code orgRoles} (an owner's is admin; a team's grant on all workspaces), and
     * nothing in any other. {@code orgs}: the organisations it may see at all; {@code ownerOf}: those it owns.
     */
    record User(
            String tokenId,
            String description,
            boolean globalAdmin,
            Map<String, Role> grants,
            Map<String, Role> orgRoles,
            Set<String> orgs,
            Set<String> ownerOf)
            implements Principal {
        /** A token of before organisations: roles on workspaces of {@code default}, or the site admin. */
        public User(String tokenId, String description, boolean globalAdmin, Map<String, Role> grants) {
            this(tokenId, description, globalAdmin, grants, Map.of(), orgsOf(grants), Set.of());
        }

        private static Set<String> orgsOf(Map<String, Role> grants) {
            return grants.keySet().stream().map(OrgNames::orgOf).collect(Collectors.toUnmodifiableSet());
        }

        /** How people see who did something: the token's description and id. */
        public String name() {
            return description == null || description.isBlank() ? tokenId : description + " (" + tokenId + ")";
        }

        public Optional<Role> roleIn(String workspaceId) {
            if (globalAdmin) return Optional.of(Role.ADMIN);
            Role direct = grants.get(workspaceId);
            Role wide = orgRoles.get(OrgNames.orgOf(workspaceId));
            if (direct == null) return Optional.ofNullable(wide);
            return Optional.of(wide == null || direct.includes(wide) ? direct : wide);
        }

        /** Whether the organisation's existence may be shown to this token. */
        public boolean sees(String org) {
            return globalAdmin || orgs.contains(org);
        }

        /** Whether it manages the organisation's teams, users, pools and workspaces (its owner or the site admin). */
        public boolean owns(String org) {
            return globalAdmin || ownerOf.contains(org);
        }

        /** The workspaces of {@code org} it may read: null for all of them, else their keys. */
        public Set<String> visibleIn(String org) {
            if (globalAdmin || orgRoles.containsKey(org)) return null;
            return grants.keySet().stream()
                    .filter(ws -> OrgNames.orgOf(ws).equals(org))
                    .collect(Collectors.toUnmodifiableSet());
        }

        @Override
        public String actor() {
            return "token:" + tokenId;
        }
    }

    /** May only register agents into its pool (its key, qualified by organisation). */
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
