package io.iacrunner.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Agent → server: the {@code terraform.tfstate} an apply left behind. */
public record StateUpload(int attempt, ObjectNode state) implements AttemptUpload {}
