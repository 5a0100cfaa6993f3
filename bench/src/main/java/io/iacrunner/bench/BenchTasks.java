package io.iacrunner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.iacrunner.protocol.ApiClient;
import io.iacrunner.protocol.ApiPaths;
import io.iacrunner.protocol.CreateTaskRequest;
import io.iacrunner.protocol.TaskAction;
import io.iacrunner.protocol.TaskView;
import io.iacrunner.protocol.WireJson;

/** The task the benchmarks queue for simulated agents, which never run it: one {@code terraform_data} resource. */
final class BenchTasks {
    /** Built once and only ever serialized, so the pullers of a benchmark may share it. */
    private static final ObjectNode ONE_RESOURCE = oneResource();

    private BenchTasks() {}

    /** Queues {@code action} of the one-resource configuration in {@code workspace}, with no labels. */
    static TaskView queue(ApiClient admin, String workspace, TaskAction action) {
        return admin.post(
                ApiPaths.TASKS,
                new CreateTaskRequest(workspace, action, ONE_RESOURCE, null, null, null, null, null),
                TaskView.class);
    }

    private static ObjectNode oneResource() {
        ObjectNode tf = WireJson.lenient().createObjectNode();
        tf.putObject("resource").putObject("terraform_data").putObject("x").put("input", "bench");
        return tf;
    }
}
