package io.iacrunner.protocol;

import java.util.List;

/**
 * A webhook destination to add to a workspace: where to POST, which events (task statuses: {@code planned},
 * {@code succeeded}, {@code failed}, {@code errored}, {@code canceled}, {@code discarded}), and the secret that signs
 * each delivery (null: the server makes one and returns it once).
 */
public record CreateNotificationRequest(String url, List<String> events, String secret) {}
