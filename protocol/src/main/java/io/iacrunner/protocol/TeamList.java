package io.iacrunner.protocol;

import java.util.List;

/** An organisation's teams and users, as its owners read them. */
public record TeamList(List<TeamView> teams, List<String> users) {}
