package io.iacrunner.server.util;

/**
 * How a workspace's or a pool's name in an organisation becomes its key in the store, and back: {@code ORG/NAME},
 * except in the organisation {@value #DEFAULT}, whose keys are the bare names every key was before organisations
 * (so a store upgrades without rewriting a key). A name cannot hold {@code /} ({@link Ids#NAME}), so a key is never
 * ambiguous and names are unique per organisation. The store computes the same split ({@code iac_org_of}, V60).
 */
public final class OrgNames {
    /** The organisation every store's data moved into, and the one a request names when it names none. */
    public static final String DEFAULT = "default";

    private OrgNames() {}

    /** The key of {@code name} in {@code org}; both must be {@link Ids#NAME}s (checked by the caller). */
    public static String qualify(String org, String name) {
        return DEFAULT.equals(org) ? name : org + "/" + name;
    }

    public static String orgOf(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? DEFAULT : key.substring(0, slash);
    }

    /** The name people use inside its organisation. */
    public static String nameOf(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    /** 400 unless {@code key} is a name, or {@code ORG/NAME} with both names. */
    public static String requireKey(String key, String code, String what) {
        if (key != null && key.indexOf('/') > 0) {
            Ids.requireName(orgOf(key), code, what);
            Ids.requireName(nameOf(key), code, what);
            return key;
        }
        return Ids.requireName(key, code, what);
    }
}
