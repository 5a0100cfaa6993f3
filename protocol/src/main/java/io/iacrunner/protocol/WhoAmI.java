package io.iacrunner.protocol;

import java.util.Map;

/**
 * What the calling user token may do, so a client (the web UI) shows only that: {@code kind} is {@code admin} for a
 * global admin (every right on every workspace) and {@code user} for a token with roles per workspace in
 * {@code workspaces}, each role including the ones before it.
 */
public record WhoAmI(String tokenId, String kind, boolean globalAdmin, Map<String, Role> workspaces) {}
