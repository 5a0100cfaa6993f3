package io.iacrunner.agent.terraform;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds the binary for a Terraform (or OpenTofu) version: the versions directory first, then PATH, taking the first
 * whose {@code version -json} reports exactly that version; else it is installed from the product's mirror. A version
 * that cannot be had is a {@link TerraformVersionException} naming the version and each place looked.
 */
public final class TerraformVersions {
    /**
     * {@code 1.11.4}, {@code 1.12.0-alpha20250319}, {@code 1.6.0-rc1}: nothing else reaches a URL or a path. Stricter
     * than semver's pre-release on purpose (no empty identifiers, so no {@code ..}).
     */
    private static final Pattern VERSION =
            Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(-[0-9A-Za-z]{1,32}(\\.[0-9A-Za-z]{1,32}){0,4})?");

    private final TerraformInstaller installer;
    private final TerraformVersionProbe probe;
    private final List<Path> searchPath;

    /** @param searchPath directories to look in after the versions directory, in order (the agent's PATH) */
    TerraformVersions(TerraformInstaller installer, TerraformVersionProbe probe, List<Path> searchPath) {
        this.installer = installer;
        this.probe = probe;
        this.searchPath = List.copyOf(searchPath);
    }

    /**
     * The agent's wiring: versions in {@code versionsDir}, PATH from {@code agentEnvironment}, mirrors as given (a
     * product not named uses its vendor's), downloads against {@link MirrorClient#DEFAULT_TIMEOUT}.
     *
     * @param agentVersion what the downloads say they come from
     */
    public static TerraformVersions create(
            Path versionsDir,
            Map<TerraformProduct, ReleaseMirror> mirrors,
            Map<String, String> agentEnvironment,
            String agentVersion)
            throws IOException {
        TerraformVersionProbe probe =
                new TerraformVersionProbe(agentEnvironment, versionsDir, TerraformVersionProbe.DEFAULT_TIMEOUT);
        TerraformInstaller installer = TerraformInstaller.open(
                versionsDir,
                mirrors,
                MirrorClient.create(MirrorClient.DEFAULT_TIMEOUT, agentVersion),
                probe,
                ReleasePlatform.current());
        return new TerraformVersions(installer, probe, searchPath(agentEnvironment.get("PATH")));
    }

    /** The version a task runs: its own (the server puts its workspace's there when it names none), else the agent's default; empty means "whatever binary is configured". */
    static Optional<String> wanted(String task, String agentDefault) {
        return Stream.of(task, agentDefault)
                .filter(v -> v != null && !v.isBlank())
                .findFirst();
    }

    public static boolean isVersion(String version) {
        return version != null && VERSION.matcher(version).matches();
    }

    /** PATH's absolute directories, in order, once each: a relative entry would mean the agent's working directory. */
    static List<Path> searchPath(String path) {
        if (path == null) return List.of();
        Set<Path> dirs = new LinkedHashSet<>();
        for (String entry : path.split(Pattern.quote(File.pathSeparator))) {
            if (entry.isEmpty()) continue;
            Path dir = Path.of(entry);
            if (dir.isAbsolute()) dirs.add(dir.normalize());
        }
        return List.copyOf(dirs);
    }

    /**
     * The binary to run for {@code version} of {@code product}, installing it when neither the versions directory
     * nor PATH has it. Blocks while another task or process installs the same version, and for the download.
     *
     * @param notes progress worth a line in the task's log (waiting for another install, downloading)
     */
    Path resolve(TerraformProduct product, String version, Consumer<String> notes)
            throws TerraformVersionException, InterruptedException {
        if (!isVersion(version)) {
            throw new TerraformVersionException(
                    product.command() + " version \"" + shortened(version) + "\" is not a version like 1.11.4");
        }
        List<String> looked = new ArrayList<>();
        Path installed = installer.installedPath(product, version);
        TerraformVersionProbe.Answer cached = probe.probe(installed);
        if (cached.matches(version)) return installed;
        looked.add(installed + " " + cached.describe());

        List<String> onPath = new ArrayList<>();
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(product.command());
            if (!Files.exists(candidate)) continue;
            TerraformVersionProbe.Answer answer = probe.probe(candidate);
            if (answer.matches(version)) return candidate;
            onPath.add(candidate + " " + answer.describe());
        }
        looked.add(
                onPath.isEmpty()
                        ? "no " + product.command() + " on PATH ("
                                + searchPath.stream().map(Path::toString).collect(Collectors.joining(":")) + ")"
                        : "on PATH " + String.join(", ", onPath));

        try {
            return installer.install(product, version, notes);
        } catch (IOException e) {
            looked.add(
                    "installing from " + installer.releaseDirectory(product, version) + " failed: " + e.getMessage());
            throw new TerraformVersionException(
                    product.command() + " " + version + " is not available on this agent: " + String.join("; ", looked),
                    e);
        }
    }

    private static String shortened(String value) {
        if (value == null) return "";
        String printable = value.replaceAll("\\p{Cntrl}", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "…" : printable;
    }
}
