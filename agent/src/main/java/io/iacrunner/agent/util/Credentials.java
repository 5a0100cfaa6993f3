package io.iacrunner.agent.util;

import io.iacrunner.protocol.ApiClient;

/**
 * Where a request's credential comes from, and how to get a new one when the server refuses it: the agent's own
 * session (ping, pull) or one task attempt's job token (its uploads).
 */
public interface Credentials {
    /** A client that sends the current credential. */
    ApiClient api();

    /** Changes whenever the credential is replaced, so concurrent callers renew it once, not once each. */
    long generation();

    /** The server refused the credential a request was sent with under {@code generationSeen}: get a new one. */
    void renew(long generationSeen);
}
