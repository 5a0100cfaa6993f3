package io.iacrunner.protocol;

/** Something new known by its name only: a user, a team, a team's member. */
public record NameRequest(String name) {}
