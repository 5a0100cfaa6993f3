package io.iacrunner.cli;

final class Ports {
    private Ports() {}

    static void check(int port, String option) {
        if (port < 0 || port > 65535) throw new UsageException(option + " must be between 0 and 65535, got " + port);
    }
}
