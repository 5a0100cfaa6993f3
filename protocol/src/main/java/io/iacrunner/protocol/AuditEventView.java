package io.iacrunner.protocol;

import java.time.Instant;

/**
 * A security event: token created or revoked, workspace unlocked, task canceled, key rotated, failed authentication,
 * grants. {@code org}: the organisation it happened in (null: site-wide, seen by the site admin alone).
 */
public record AuditEventView(
        long eventId,
        Instant at,
        String kind,
        String actor,
        String subject,
        String detail,
        String remoteAddr,
        String org) {}
