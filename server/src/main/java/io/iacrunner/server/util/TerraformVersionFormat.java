package io.iacrunner.server.util;

import io.iacrunner.server.problems.ApiProblem;
import java.util.regex.Pattern;

/** What a Terraform or OpenTofu version must look like wherever one is named (a task, a workspace). */
public final class TerraformVersionFormat {
    private static final Pattern VERSION = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(-[0-9A-Za-z.]{1,32})?");

    private TerraformVersionFormat() {}

    /** 400 for a version that is not {@code MAJOR.MINOR.PATCH[-PRERELEASE]}; null (none named) passes. */
    public static String require(String version) {
        if (version != null && !VERSION.matcher(version).matches()) {
            throw ApiProblem.badRequest("invalid_terraform_version", "terraform_version must look like 1.11.4");
        }
        return version;
    }
}
