package io.iacrunner.server.orgs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.CreateTokenRequest;
import io.iacrunner.protocol.OrgSettings;
import io.iacrunner.protocol.OrgView;
import io.iacrunner.protocol.PoolConfig;
import io.iacrunner.protocol.PoolToken;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.TokenCreated;
import io.iacrunner.server.testing.TestServer;
import java.util.Map;

/** An organisation made through the API as its site admin and owner would: its owner's client, pools and tasks. */
record OrgFixture(TestServer server, String org, ApiClient owner) {
    /** A server whose simulated agents never ping: a lease longer than any test keeps their tasks theirs. */
    static TestServer startServer() {
        return TestServer.start(
                c -> c.pingInterval(java.time.Duration.ofSeconds(60)).agentLease(java.time.Duration.ofHours(1)));
    }

    static OrgFixture create(TestServer server, String org, Integer maxRunning, Integer maxQueued) {
        server.admin().post(ApiPaths.ORGS, new OrgSettings(org, null, maxRunning, maxQueued), OrgView.class);
        String token = server.admin()
                .post(
                        ApiPaths.TOKENS + "?org=" + org,
                        new CreateTokenRequest("owner of " + org, null, null, null, null, true, null),
                        TokenCreated.class)
                .token();
        return new OrgFixture(server, org, server.withToken(token));
    }

    String q() {
        return "?org=" + org;
    }

    /** A pool of this organisation, made by its owner; returns a token that registers agents into it. */
    String pool(String name, int planSlots, Map<String, String> labels) {
        owner.put(
                ApiPaths.fill(ApiPaths.POOL, name) + q(),
                new PoolConfig(name, planSlots, false, labels),
                PoolConfig.class);
        return owner.post(ApiPaths.fill(ApiPaths.POOL_TOKENS, name) + q(), Map.of(), PoolToken.class)
                .token();
    }

    TaskView queue(String workspace, TaskAction action, Map<String, String> labels) {
        ObjectNode tf = JsonNodeFactory.instance.objectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", workspace);
        return owner.post(
                ApiPaths.TASKS + q(),
                new CreateTaskRequest(workspace, action, tf, null, null, labels, null, null),
                TaskView.class);
    }
}
