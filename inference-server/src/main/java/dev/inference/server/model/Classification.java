package dev.inference.server.model;

import java.util.List;

/**
 * The prediction for one text.
 *
 * @param labelIndex index of the most probable label in the model's label list
 * @param probabilities probability of every label, in label order
 */
public record Classification(int labelIndex, float[] probabilities) {

    static Classification of(float[] probabilities) {
        int best = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[best]) {
                best = i;
            }
        }
        return new Classification(best, probabilities);
    }

    public String label(List<String> labels) {
        return labels.get(labelIndex);
    }

    public float score() {
        return probabilities[labelIndex];
    }
}
