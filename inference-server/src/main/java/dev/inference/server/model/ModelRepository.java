package dev.inference.server.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A model repository on disk: {@code <root>/<model>/<version>/} with {@code model.onnx},
 * {@code tokenizer.json}, {@code config.json} and {@code head.json} in each version directory.
 */
public final class ModelRepository {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final List<String> REQUIRED_FILES = List.of(
            TextEmbedder.MODEL_FILE, TextEmbedder.TOKENIZER_FILE, ModelVersionConfig.FILE_NAME, ClassifierHead.FILE_NAME);

    /** Where one model version lives. */
    public record VersionLocation(String model, String version, Path directory) {}

    private ModelRepository() {}

    /**
     * Lists every version of every model under the root, sorted by model and then version
     * (numerically where both versions are numbers).
     *
     * @throws IOException when the root holds no model, or a version directory lacks a file
     */
    public static List<VersionLocation> scan(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("model repository " + root + " is not a directory");
        }
        List<VersionLocation> versions = new ArrayList<>();
        for (Path modelDir : subdirectories(root)) {
            String model = modelDir.getFileName().toString();
            for (Path versionDir : subdirectories(modelDir)) {
                String version = versionDir.getFileName().toString();
                for (String file : REQUIRED_FILES) {
                    if (!Files.isRegularFile(versionDir.resolve(file))) {
                        throw new IOException("model version " + versionDir + " has no " + file);
                    }
                }
                versions.add(new VersionLocation(model, version, versionDir));
            }
        }
        if (versions.isEmpty()) {
            throw new IOException("model repository " + root + " holds no model: expected <model>/<version>/"
                    + String.join(", ", REQUIRED_FILES));
        }
        versions.sort(Comparator.comparing(VersionLocation::model).thenComparing(
                VersionLocation::version, ModelRepository::compareVersions));
        return versions;
    }

    /** Numeric order where both are numbers ("2" before "10"), text order otherwise. */
    public static int compareVersions(String a, String b) {
        boolean aNumeric = a.chars().allMatch(Character::isDigit);
        boolean bNumeric = b.chars().allMatch(Character::isDigit);
        if (aNumeric && bNumeric) {
            return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
        }
        return a.compareTo(b);
    }

    private static List<Path> subdirectories(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children
                    .filter(Files::isDirectory)
                    .filter(child -> NAME.matcher(child.getFileName().toString()).matches())
                    .sorted()
                    .toList();
        }
    }
}
