package io.iacrunner.protocol;

import java.util.List;

/**
 * Which workspaces of one organisation a pool serves ({@code PUT /pools/{pool_id}/grants}): {@code workspaces} names
 * them (names in {@code org}), or null for every workspace of it, present and future. {@code org}: null for the
 * pool's own organisation; another one the pool is shared with, by that organisation's owner.
 */
public record PoolGrants(String org, List<String> workspaces) {}
