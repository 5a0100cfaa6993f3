package io.iacrunner.protocol;

import java.util.List;

/** A workspace's deliveries, newest first. */
public record DeliveryList(String workspaceId, List<DeliveryView> deliveries) {}
