package io.iacrunner.protocol;

import java.util.List;

public record AgentList(List<AgentView> agents) {}
