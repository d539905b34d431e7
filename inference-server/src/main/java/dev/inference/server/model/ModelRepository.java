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
 * {@code model.onnx} and what it is following from its files ({@link #layoutOf}).
 */
public final class ModelRepository {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** Where one model version lives, and what it is. */
    public record VersionLocation(String model, String version, Path directory, Layout layout) {

        public Task task() {
            return layout.task();
        }
    }

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
        List<VersionLocation> versions = new ArrayList<>();
        for (String model : models(root)) {
            for (Path versionDir : servingFolders(root.resolve(model))) {
                versions.add(locate(model, versionDir));
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

    /** The names of the model folders under the root, sorted. */
    public static List<String> models(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("model repository " + root + " is not a directory");
        }
        return subdirectories(root).stream().map(dir -> dir.getFileName().toString()).toList();
    }

    /**
     * The version folders of a model that its version policy serves ({@link ModelSettings}).
     *
     * @throws IOException when the model's settings cannot be read or name a missing version
     */
    public static List<Path> servingFolders(Path modelDir) throws IOException {
        return ModelSettings.read(modelDir).serving(modelDir, subdirectories(modelDir));
    }

    /** @throws IOException when the folder is not a model version ({@link #layoutOf}) */
    public static VersionLocation locate(String model, Path versionDir) throws IOException {
        return new VersionLocation(model, versionDir.getFileName().toString(), versionDir, layoutOf(versionDir));
    }

    /**
     * What a version folder is, from its files: {@code head.json} beside an encoder is the
     * platform's text classifier; {@code modules.json} a sentence-transformers export; Hugging Face's
     * {@code config.json} beside a tokenizer an Optimum text-classification export (its graph's
     * {@code logits} are checked when it loads); {@code model.onnx} alone (with
     * {@value VersionSettings#FILE_NAME} at most, and the graph's external data) a tensor model.
     *
     * @throws IOException naming the folder, what it has and what it lacks
     */
    public static Layout layoutOf(Path versionDir) throws IOException {
        if (!Files.isRegularFile(versionDir.resolve(OnnxSessions.MODEL_FILE))) {
            throw new IOException("model version " + versionDir + " has no " + OnnxSessions.MODEL_FILE);
        }
        boolean tokenizer = Files.isRegularFile(versionDir.resolve(TextEncoder.TOKENIZER_FILE));
        boolean config = Files.isRegularFile(versionDir.resolve(HuggingFaceExport.CONFIG_FILE));
        if (Files.isRegularFile(versionDir.resolve(ClassifierHead.FILE_NAME))) {
            require(versionDir, tokenizer && config, "has " + ClassifierHead.FILE_NAME, "a classifier with a head needs "
                    + OnnxSessions.MODEL_FILE + ", " + TextEncoder.TOKENIZER_FILE + ", " + ModelVersionConfig.FILE_NAME
                    + " and " + ClassifierHead.FILE_NAME);
            return Layout.CLASSIFIER_WITH_HEAD;
        }
        if (Files.isRegularFile(versionDir.resolve(HuggingFaceExport.MODULES_FILE))) {
            require(versionDir, tokenizer, "has " + HuggingFaceExport.MODULES_FILE, "a sentence-transformers export needs "
                    + TextEncoder.TOKENIZER_FILE + " beside " + OnnxSessions.MODEL_FILE);
            return Layout.SENTENCE_TRANSFORMERS;
        }
        if (config || tokenizer) {
            require(versionDir, config && tokenizer, "has " + (config ? HuggingFaceExport.CONFIG_FILE
                    : TextEncoder.TOKENIZER_FILE), "a text-classification export needs " + OnnxSessions.MODEL_FILE
                    + " (giving logits), " + HuggingFaceExport.CONFIG_FILE + " (with id2label) and "
                    + TextEncoder.TOKENIZER_FILE + "; a sentence-transformers export needs "
                    + HuggingFaceExport.MODULES_FILE + " too; a tensor model's folder holds only "
                    + OnnxSessions.MODEL_FILE + " and optionally " + VersionSettings.FILE_NAME);
            return Layout.CLASSIFICATION_EXPORT;
        }
        return Layout.TENSOR;
    }

    private static void require(Path versionDir, boolean complete, String found, String needs) throws IOException {
        if (!complete) {
            throw new IOException("model version " + versionDir + " " + found + " but is incomplete: " + needs);
        }
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
