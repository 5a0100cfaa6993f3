package io.iacrunner.agent.terraform;

import java.util.Locale;

/** The {@code <os>_<arch>} part of a release file's name, in Go's spelling ({@code linux_amd64}). */
record ReleasePlatform(String os, String arch) {

    static ReleasePlatform current() {
        return of(System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** Unknown names pass through lowercased: the mirror then answers 404 for a file whose name says what was asked. */
    static ReleasePlatform of(String osName, String osArch) {
        String name = osName.toLowerCase(Locale.ROOT);
        String os = name.startsWith("linux")
                ? "linux"
                : name.startsWith("mac") || name.startsWith("darwin")
                        ? "darwin"
                        : name.startsWith("windows")
                                ? "windows"
                                : name.startsWith("freebsd") ? "freebsd" : name.replaceAll("[^a-z0-9]", "");
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "386";
            case "arm" -> "arm";
            default -> osArch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        };
        return new ReleasePlatform(os, arch);
    }
}
