package io.iacrunner.server.cluster;

/**
 * How many people watch a task live on other replicas: what lets {@code stream_mode=auto} flush quickly for a viewer
 * connected to one replica while the agent uploads to another.
 */
public interface ViewerPresence {
    /** Tells the other replicas how many viewers of {@code taskId} this replica has now (0: none left). */
    void publish(String taskId, int localCount);

    /** Viewers of {@code taskId} on the other replicas, as far as is known (0 when that cannot be known now). */
    int elsewhere(String taskId);

    ViewerPresence NONE = new ViewerPresence() {
        @Override
        public void publish(String taskId, int localCount) {}

        @Override
        public int elsewhere(String taskId) {
            return 0;
        }
    };
}
