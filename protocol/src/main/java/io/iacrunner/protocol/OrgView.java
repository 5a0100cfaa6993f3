package io.iacrunner.protocol;

import java.time.Instant;

/**
 * An organisation: the tenant boundary. {@code weight}: its share of a pool's capacity under fair scheduling, in
 * proportion to the other organisations'; {@code maxRunning} and {@code maxQueued}: its quotas (null: none).
 */
public record OrgView(String orgId, int weight, Integer maxRunning, Integer maxQueued, Instant createdAt) {}
