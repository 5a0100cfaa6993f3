package io.iacrunner.protocol;

import java.util.List;

/** A team of an organisation: its users and what it may do ({@link Grant}). */
public record TeamView(String org, String name, List<String> members, List<Grant> grants) {
    /** A role on one workspace (its name in the organisation), or on all of them ({@code workspace} null). */
    public record Grant(String workspace, Role role) {}
}
