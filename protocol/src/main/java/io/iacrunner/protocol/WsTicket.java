package io.iacrunner.protocol;

import java.time.Instant;

/**
 * A one-time stand-in for the caller's token on a WebSocket URL ({@code /ws/logs?…&ticket=}), for browsers, which
 * cannot set an Authorization header there. Short-lived and good for one connection, so the long-lived token never
 * appears in a URL (where proxies and logs would keep it).
 */
public record WsTicket(String ticket, Instant expiresAt) {}
