package dev.inference.server.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code config.json} of one model version: what the model does and how its output becomes
 * a prediction.
 *
 * @param task the task; only {@code text-classification} is served
 * @param labels the classifier's labels, in the order of the head's output rows
 * @param pooling how token vectors become a sentence vector
 * @param normalize whether the sentence vector is scaled to unit length before the head
 * @param maxSequenceLength texts are truncated to this many tokens, special tokens included
 * @param maxBatchSize optional: the most texts per forward pass this version is worth batching, as
 *     measured on the hardware it serves on; the server's {@code --max-batch-size} caps it, and
 *     without it the server's value applies
 */
public record ModelVersionConfig(String task, List<String> labels, Pooling pooling, boolean normalize,
        int maxSequenceLength, Integer maxBatchSize) {

    public static final String FILE_NAME = "config.json";
    public static final String TEXT_CLASSIFICATION = "text-classification";

    public ModelVersionConfig {
        if (!TEXT_CLASSIFICATION.equals(task)) {
            throw new IllegalArgumentException(
                    "task must be \"" + TEXT_CLASSIFICATION + "\", was " + quoted(task));
        }
        if (labels == null || labels.size() < 2) {
            throw new IllegalArgumentException("labels must name at least two classes");
        }
        if (labels.stream().distinct().count() != labels.size()) {
            throw new IllegalArgumentException("labels must be distinct: " + labels);
        }
        if (pooling == null) {
            throw new IllegalArgumentException("pooling must be \"mean\" or \"cls\"");
        }
        if (maxSequenceLength < 2 || maxSequenceLength > 8192) {
            throw new IllegalArgumentException(
                    "maxSequenceLength must be between 2 and 8192, was " + maxSequenceLength);
        }
        if (maxBatchSize != null && maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be at least 1, was " + maxBatchSize);
        }
        labels = List.copyOf(labels);
    }

    /** The encoder's token vectors, its first output, pooled as this configuration says. */
    public TextEncoder.OutputChoice output() {
        return graphOutputs -> new TextOutput.PooledTokens(graphOutputs.get(0), List.of(pooling), normalize);
    }

    /** Reads and validates {@code <versionDir>/config.json}. */
    public static ModelVersionConfig read(Path versionDir) throws IOException {
        return JsonFiles.read(versionDir.resolve(FILE_NAME), ModelVersionConfig.class);
    }

    private static String quoted(String value) {
        return value == null ? "missing" : "\"" + value + "\"";
    }
}
