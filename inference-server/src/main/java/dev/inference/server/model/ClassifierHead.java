package dev.inference.server.model;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A linear layer plus softmax that turns a sentence vector into label probabilities: the
 * {@code head.json} of a model version, trained by {@link dev.inference.server.training.HeadTrainer}.
 *
 * @param weights one row per label, each as long as the sentence vector
 * @param bias one value per label
 */
public record ClassifierHead(float[][] weights, float[] bias) implements Scores {

    public static final String FILE_NAME = "head.json";

    private static final Gson GSON = new Gson();

    public ClassifierHead {
        if (weights == null || bias == null || weights.length == 0 || weights.length != bias.length) {
            throw new IllegalArgumentException("head needs one weight row and one bias per label");
        }
        int dimension = weights[0].length;
        for (float[] row : weights) {
            if (row.length != dimension || dimension == 0) {
                throw new IllegalArgumentException("every weight row must have the same, non-zero length");
            }
        }
    }

    public int labelCount() {
        return weights.length;
    }

    @Override
    public int dimension() {
        return weights[0].length;
    }

    /** Label probabilities for one sentence vector, in label order; they sum to 1. */
    @Override
    public float[] probabilities(float[] embedding) {
        double[] logits = new double[weights.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int label = 0; label < weights.length; label++) {
            double logit = bias[label];
            float[] row = weights[label];
            for (int i = 0; i < row.length; i++) {
                logit += row[i] * embedding[i];
            }
            logits[label] = logit;
            max = Math.max(max, logit);
        }
        return Scores.softmax(logits, max);
    }

    public static ClassifierHead read(Path versionDir) throws IOException {
        return JsonFiles.read(versionDir.resolve(FILE_NAME), ClassifierHead.class);
    }

    public void write(Path versionDir) throws IOException {
        try (Writer writer = Files.newBufferedWriter(versionDir.resolve(FILE_NAME))) {
            GSON.toJson(this, writer);
        }
    }
}
