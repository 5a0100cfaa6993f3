package io.iacrunner.protocol;

import java.util.List;

/** The organisations the caller may see. */
public record OrgList(List<OrgView> orgs) {}
