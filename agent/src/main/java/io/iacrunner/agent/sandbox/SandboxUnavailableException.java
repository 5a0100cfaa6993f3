package io.iacrunner.agent.sandbox;

/**
 * The agent was asked to sandbox its tasks ({@code --isolation sandbox}, the default) and cannot: it refuses to start
 * rather than run configurations beside its credentials. The message says why and what to do about it.
 */
public final class SandboxUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    static final String FIXES =
            "Fix it by installing bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), by allowing"
                    + " unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0;"
                    + " on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap; in a"
                    + " container, a seccomp profile that allows unshare and clone with CLONE_NEWUSER), or run the agent with"
                    + " --isolation none, which lets every task's Terraform read the agent's credentials and other tasks' secrets";

    SandboxUnavailableException(String reason) {
        super("the task sandbox (bubblewrap) cannot start: " + reason + ". " + FIXES);
    }
}
