package dev.inference.server.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * The platform's optional settings for a whole model, in {@code <model>/serving.json}: which of its
 * version folders serve, as Triton's and TF Serving's version policies say it. Without the file,
 * every version serves.
 */
public record ModelSettings(VersionPolicy versionPolicy) {

    public static final String FILE_NAME = VersionSettings.FILE_NAME;

    /**
     * Exactly one of: {@code {"latest": N}} the N highest versions, {@code {"all": true}} every
     * version, {@code {"specific": ["1", "3"]}} these versions.
     */
    public record VersionPolicy(Integer latest, Boolean all, List<String> specific) {

        public VersionPolicy {
            int given = (latest != null ? 1 : 0) + (all != null ? 1 : 0) + (specific != null ? 1 : 0);
            if (given != 1) {
                throw new IllegalArgumentException("versionPolicy must give exactly one of latest, all, specific");
            }
            if (latest != null && latest < 1) {
                throw new IllegalArgumentException("versionPolicy latest must be at least 1, was " + latest);
            }
            if (all != null && !all) {
                throw new IllegalArgumentException("versionPolicy all must be true; to serve fewer, use latest or specific");
            }
            if (specific != null && specific.isEmpty()) {
                throw new IllegalArgumentException("versionPolicy specific must name at least one version");
            }
        }
    }

    /** The model folder's settings; every version serves without the file or a policy. */
    static ModelSettings read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(FILE_NAME);
        return Files.exists(file) ? JsonFiles.read(file, ModelSettings.class) : new ModelSettings(null);
    }

    /**
     * The version folders that serve, of those present.
     *
     * @throws IOException when a specific version has no folder
     */
    List<Path> serving(Path modelDir, List<Path> versionDirs) throws IOException {
        if (versionPolicy == null || versionPolicy.all() != null) {
            return versionDirs;
        }
        List<String> names = versionDirs.stream().map(dir -> dir.getFileName().toString())
                .sorted(ModelRepository::compareVersions).toList();
        if (versionPolicy.latest() != null) {
            List<String> latest = names.subList(Math.max(0, names.size() - versionPolicy.latest()), names.size());
            return versionDirs.stream().filter(dir -> latest.contains(dir.getFileName().toString())).toList();
        }
        for (String version : versionPolicy.specific()) {
            if (!names.contains(version)) {
                throw new IOException(modelDir.resolve(FILE_NAME) + ": the version policy names version \"" + version
                        + "\", which has no folder; versions: " + names);
            }
        }
        return versionDirs.stream().filter(dir -> versionPolicy.specific().contains(dir.getFileName().toString()))
                .sorted(Comparator.comparing(Path::getFileName)).toList();
    }
}
