package io.iacrunner.server.security;

import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.TokenList;
import io.iacrunner.server.testing.RawHttp;
import io.iacrunner.server.testing.TestServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What must not change when a request is refused, read through the API with the global admin token. */
final class Snapshots {
    private Snapshots() {}

    static Map<String, String> of(RawHttp raw, TestServer server, String workspace, String taskId) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String path : List.of(
                ApiPaths.TASKS + "?limit=1000",
                ApiPaths.fill(ApiPaths.WORKSPACE, workspace),
                ApiPaths.fill(ApiPaths.WORKSPACE_VARIABLES, workspace),
                ApiPaths.fill(ApiPaths.WORKSPACE_NOTIFICATIONS, workspace),
                ApiPaths.fill(ApiPaths.WORKSPACE_STATE_VERSIONS, workspace),
                ApiPaths.fill(ApiPaths.TASK_LOGS, taskId),
                ApiPaths.POOLS,
                ApiPaths.AGENTS)) {
            s.put(
                    path,
                    raw.send("GET", path, server.adminToken(), (String) null)
                            .body()
                            .replaceAll(
                                    "\"last_seen\":\"[^\"]*\"",
                                    "")); // agents' heartbeats are not what a refusal changes
        }
        s.put(
                "tokens",
                server.admin().get(ApiPaths.TOKENS, TokenList.class).tokens().stream()
                        .map(t -> t.tokenId() + ":" + t.revokedAt())
                        .toList()
                        .toString());
        s.put(
                "signing keys",
                raw.send("GET", ApiPaths.JWKS, null, (String) null).body());
        return s;
    }
}
