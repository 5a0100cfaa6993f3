package io.iacrunner.agent.terraform;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The agent's hooks (Terraform Cloud's agent hooks): executables named {@code pre-plan}, {@code post-plan},
 * {@code pre-apply} and {@code post-apply} in {@code --hooks-dir}. Each runs in the task's directory, in the same
 * sandbox and with the same built environment as Terraform (plus {@code IAC_HOOK}, {@code IAC_TASK_ID},
 * {@code IAC_WORKSPACE_ID}, {@code IAC_ACTION}, {@code IAC_ATTEMPT}): a pre hook before its phase's Terraform command,
 * a post hook after it succeeded. Their output goes into the task's log, each line marked {@code [pre-apply hook]};
 * a non-zero exit fails the run there. Looked up when each runs, so adding a hook needs no restart.
 */
public final class Hooks {
    public enum Point {
        PRE_PLAN("pre-plan"),
        POST_PLAN("post-plan"),
        PRE_APPLY("pre-apply"),
        POST_APPLY("post-apply");

        public final String fileName;

        Point(String fileName) {
            this.fileName = fileName;
        }

        /** How its lines are marked in the log. */
        public String marker() {
            return "[" + fileName + " hook] ";
        }
    }

    static final Hooks NONE = new Hooks(null);

    private final Path dir;

    private Hooks(Path dir) {
        this.dir = dir;
    }

    /**
     * The hooks in {@code dir}, as they are when each runs.
     *
     * @param dir null for none
     */
    public static Hooks in(Path dir) {
        return dir == null ? NONE : new Hooks(dir.toAbsolutePath().normalize());
    }

    /** The hook's executable, when the directory has one by that name (a regular file the agent may run). */
    public Optional<Path> find(Point point) {
        if (dir == null) return Optional.empty();
        Path hook = dir.resolve(point.fileName);
        return Files.isRegularFile(hook, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(hook)
                ? Optional.of(hook)
                : Optional.empty();
    }
}
