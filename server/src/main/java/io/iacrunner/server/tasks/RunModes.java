package io.iacrunner.server.tasks;

import io.iacrunner.protocol.RunOptions;
import io.iacrunner.server.problems.ApiProblem;
import java.util.List;
import java.util.regex.Pattern;

/** The run mode a task asks for, checked before it is queued: what reaches {@code terraform plan} is well formed. */
final class RunModes {
    private static final int MAX_ADDRESSES = 100;
    private static final int MAX_ADDRESS_CHARS = 1_024;
    /** A resource address: printable, no spaces or quotes beyond those of an index key, never a flag of its own. */
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z_][^\\s\\p{Cntrl}]*");

    private RunModes() {}

    /** {@code options} when they are well formed ({@link RunOptions#NORMAL} for none); a 400 naming the fault else. */
    static RunOptions validated(RunOptions options) {
        if (options == null) return RunOptions.NORMAL;
        if (options.destroy() && options.refreshOnly()) {
            throw ApiProblem.badRequest("invalid_run_options", "destroy and refresh_only exclude each other: pick one");
        }
        check("targets", options.targets());
        check("replaces", options.replaces());
        if (options.refreshOnly() && !options.replaces().isEmpty()) {
            throw ApiProblem.badRequest("invalid_run_options", "refresh_only replaces nothing: leave replaces out");
        }
        return options;
    }

    private static void check(String field, List<String> addresses) {
        if (addresses.size() > MAX_ADDRESSES) {
            throw ApiProblem.badRequest("invalid_run_options", field + ": at most " + MAX_ADDRESSES + " addresses");
        }
        for (String address : addresses) {
            if (address == null
                    || address.length() > MAX_ADDRESS_CHARS
                    || !ADDRESS.matcher(address).matches()) {
                throw ApiProblem.badRequest(
                        "invalid_run_options",
                        field + ": '" + address + "' is not a resource address (like aws_instance.web or"
                                + " module.net.aws_subnet.a[\"x\"]), 1 to " + MAX_ADDRESS_CHARS + " characters");
            }
        }
    }
}
