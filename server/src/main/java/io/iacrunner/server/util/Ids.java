package io.iacrunner.server.util;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Opaque random ids with a type prefix ({@code t-} tasks, {@code a-} agents), and the formats ids must have. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final int RANDOM_LENGTH = 16;

    /** Workspace and pool names: what users type, safe in paths, URLs and file names. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Ids() {}

    /**
     * 400 for a workspace id that is not a {@link #NAME}, or one qualified by its organisation ({@link OrgNames}): ids
     * reach SQL, paths and file names.
     */
    public static String requireWorkspaceId(String workspaceId) {
        return OrgNames.requireKey(workspaceId, "invalid_workspace_id", "workspace ids");
    }

    /** 400 for a workspace name (inside its organisation) that is not a {@link #NAME}. */
    public static String requireWorkspaceName(String name) {
        return requireName(name, "invalid_workspace_id", "workspace ids");
    }

    /** 400 with {@code code} for a name that is not a {@link #NAME}; {@code what} names the kind in the message. */
    public static String requireName(String name, String code, String what) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw io.iacrunner.server.problems.ApiProblem.badRequest(
                    code, what + " are 1-64 letters, digits, '.', '_' or '-'");
        }
        return name;
    }

    public static String task() {
        return "t-" + random();
    }

    public static String agent() {
        return "a-" + random();
    }

    public static String token() {
        return "tok-" + random();
    }

    public static boolean isToken(String id) {
        return isPrefixed(id, "tok-");
    }

    public static boolean isTask(String id) {
        return isPrefixed(id, "t-");
    }

    public static boolean isAgent(String id) {
        return isPrefixed(id, "a-");
    }

    private static boolean isPrefixed(String id, String prefix) {
        if (id == null || id.length() != prefix.length() + RANDOM_LENGTH || !id.startsWith(prefix)) return false;
        for (int i = prefix.length(); i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
        }
        return true;
    }

    private static String random() {
        char[] out = new char[RANDOM_LENGTH];
        for (int i = 0; i < out.length; i++) out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        return new String(out);
    }
}
