package io.iacrunner.protocol;

import java.time.Instant;

/** A credential for one task attempt's uploads (log, plan, state, phase, result) and nothing else. */
public record JobToken(String token, Instant expiresAt) {}
