package io.iacrunner.protocol;

import java.util.Map;

/** What the calling user token may do: all of it ({@code globalAdmin}), or roles per workspace. */
public record WhoAmI(String tokenId, boolean globalAdmin, Map<String, Role> workspaces) {}
