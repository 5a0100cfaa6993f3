package io.iacrunner.agent;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/** The machine's load as the seed's ping reports it: fractions between 0 and 1. */
final class HostStats {
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private HostStats() {}

    static double cpuUsage() {
        double load = OS.getCpuLoad();
        return load < 0 ? 0 : load; // negative means "not available yet", not idle
    }

    static double memUsage() {
        long total = OS.getTotalMemorySize();
        return total <= 0 ? 0 : 1 - (double) OS.getFreeMemorySize() / total;
    }
}
