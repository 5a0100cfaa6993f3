package io.iacrunner.agent.load;

/** Where the agent's {@link Load} is read from: the cgroup and /proc ({@link CgroupLoadProbe}), or a test's script. */
@FunctionalInterface
public interface LoadProbe {
    /** The load now; CPU shares are over the time since the previous call. */
    Load read();
}
