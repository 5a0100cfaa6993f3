package io.iacrunner.protocol;

import java.util.Map;

/**
 * Who a token speaks for, so a client (the web UI) shows only what it may do. {@code kind}: {@code admin}, {@code
 * user}, {@code pool} or {@code agent}. {@code globalAdmin}: every right on every workspace. {@code workspaces}: the
 * role ({@code read}, {@code plan}, {@code apply} or {@code admin}, each including the ones before it) per workspace
 * for a token scoped to workspaces; empty for a global admin, who needs none.
 */
public record WhoAmI(String kind, boolean globalAdmin, Map<String, String> workspaces) {}
