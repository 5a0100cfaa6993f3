package io.iacrunner.protocol;

import java.util.List;

/** Newest first. */
public record AuditEventList(List<AuditEventView> events) {}
