package io.iacrunner.protocol;

import java.util.List;

/** A workspace's webhook destinations, oldest first. */
public record NotificationList(String workspaceId, List<NotificationView> destinations) {}
