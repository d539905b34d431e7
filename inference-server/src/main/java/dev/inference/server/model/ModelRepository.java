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
 * A model repository on disk: {@code <root>/<model>/<version>/}, each version folder holding a
 * {@code model.onnx} and what it is following from its files ({@link #taskOf}).
 */
public final class ModelRepository {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** What an encoder plus the platform's classifier head needs beside the head. */
    private static final List<String> CLASSIFIER_FILES = List.of(TextEmbedder.TOKENIZER_FILE, ModelVersionConfig.FILE_NAME);
    /** Files of text models (Hugging Face exports) that a tensor model's folder must not be mistaken for. */
    private static final List<String> TEXT_MODEL_FILES = List.of(
            ModelVersionConfig.FILE_NAME, TextEmbedder.TOKENIZER_FILE, "modules.json");

    /** Where one model version lives, and what it is. */
    public record VersionLocation(String model, String version, Path directory, Task task) {}

    private ModelRepository() {}

    /**
     * Lists every version of every model under the root that its model's version policy serves
     * ({@link ModelSettings}), sorted by model and then version (numerically where both versions
     * are numbers).
     *
     * @throws IOException when the root holds no model, or a version folder cannot be interpreted:
     *     the message names the folder, the file and the reason
     */
    public static List<VersionLocation> scan(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("model repository " + root + " is not a directory");
        }
        List<VersionLocation> versions = new ArrayList<>();
        for (Path modelDir : subdirectories(root)) {
            String model = modelDir.getFileName().toString();
            for (Path versionDir : ModelSettings.read(modelDir).serving(modelDir, subdirectories(modelDir))) {
                String version = versionDir.getFileName().toString();
                versions.add(new VersionLocation(model, version, versionDir, taskOf(versionDir)));
            }
        }
        if (versions.isEmpty()) {
            throw new IOException("model repository " + root + " holds no model: expected <model>/<version>/"
                    + OnnxSessions.MODEL_FILE);
        }
        versions.sort(Comparator.comparing(VersionLocation::model).thenComparing(
                VersionLocation::version, ModelRepository::compareVersions));
        return versions;
    }

    /**
     * What a version folder is, from its files: {@code head.json} beside an encoder is the
     * platform's text classifier; {@code model.onnx} alone (with {@value VersionSettings#FILE_NAME}
     * at most, and the graph's external data) is a tensor model, described by its graph.
     *
     * @throws IOException naming the folder, the file and why the folder cannot be served
     */
    public static Task taskOf(Path versionDir) throws IOException {
        if (!Files.isRegularFile(versionDir.resolve(OnnxSessions.MODEL_FILE))) {
            throw new IOException("model version " + versionDir + " has no " + OnnxSessions.MODEL_FILE);
        }
        if (Files.isRegularFile(versionDir.resolve(ClassifierHead.FILE_NAME))) {
            for (String file : CLASSIFIER_FILES) {
                if (!Files.isRegularFile(versionDir.resolve(file))) {
                    throw new IOException("model version " + versionDir + " has " + ClassifierHead.FILE_NAME
                            + " but no " + file + ": a text classifier needs " + OnnxSessions.MODEL_FILE + ", "
                            + String.join(", ", CLASSIFIER_FILES) + " and " + ClassifierHead.FILE_NAME);
                }
            }
            return Task.TEXT_CLASSIFICATION;
        }
        for (String file : TEXT_MODEL_FILES) {
            if (Files.exists(versionDir.resolve(file))) {
                throw new IOException("model version " + versionDir + " has " + file + " but no "
                        + ClassifierHead.FILE_NAME + ": a text model needs the platform's classifier head (Hugging"
                        + " Face exports are not served yet), and a tensor model's folder holds only "
                        + OnnxSessions.MODEL_FILE + " and optionally " + VersionSettings.FILE_NAME);
            }
        }
        return Task.TENSOR;
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
