package io.iacrunner.protocol;

import java.util.List;

public record TokenList(List<TokenView> tokens) {}
