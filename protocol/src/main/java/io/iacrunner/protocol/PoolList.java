package io.iacrunner.protocol;

import java.util.List;

public record PoolList(List<PoolConfig> pools) {}
