package io.iacrunner.protocol;

/**
 * An organisation's settings as the site admin creates or changes them ({@code orgId}: its name, for a create).
 * Null leaves a setting as it is (a new organisation: weight 1, no quotas); 0 for a quota removes it.
 */
public record OrgSettings(String orgId, Integer weight, Integer maxRunning, Integer maxQueued) {}
