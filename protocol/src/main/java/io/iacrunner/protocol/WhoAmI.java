package io.iacrunner.protocol;

import java.util.Map;
import java.util.Set;

/**
 * What the calling user token may do, so a client (the web UI) shows only that: {@code kind} is {@code admin} for a
 * global admin (every right on every workspace) and {@code user} for a token with roles per workspace in
 * {@code workspaces} (keys qualified by organisation: {@code ORG/NAME}, bare in {@code default}), each role
 * including the ones before it; {@code orgRoles}: the role it holds on every workspace of an organisation (its
 * teams' grants on all workspaces; an owner's is admin); {@code orgs}: the organisations it may see;
 * {@code ownerOf}: those whose users, teams, pools and workspaces it manages.
 */
public record WhoAmI(
        String tokenId,
        String kind,
        boolean globalAdmin,
        Map<String, Role> workspaces,
        Map<String, Role> orgRoles,
        Set<String> orgs,
        Set<String> ownerOf) {}
