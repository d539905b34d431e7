package dev.inference.server.model;

/** How a classifier turns the vector its encoder gives for a text into label probabilities. */
public interface Scores {

    /** Probability of every label, in label order. */
    float[] probabilities(float[] vector);

    /** The length of vector expected, or -1 for whatever the graph gives. */
    int dimension();

    /** The logits of an exported classifier head: softmax over the labels, or a sigmoid per label. */
    static Scores ofLogits(boolean multiLabel) {
        return new Scores() {
            @Override
            public float[] probabilities(float[] logits) {
                if (multiLabel) {
                    float[] probabilities = new float[logits.length];
                    for (int i = 0; i < logits.length; i++) {
                        probabilities[i] = (float) (1 / (1 + Math.exp(-logits[i])));
                    }
                    return probabilities;
                }
                double[] values = new double[logits.length];
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < logits.length; i++) {
                    values[i] = logits[i];
                    max = Math.max(max, logits[i]);
                }
                return softmax(values, max);
            }

            @Override
            public int dimension() {
                return -1;
            }
        };
    }

    /** Softmax of {@code logits}, whose largest value is {@code max} (subtracted, so exp cannot overflow). */
    static float[] softmax(double[] logits, double max) {
        double sum = 0;
        double[] exps = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            exps[i] = Math.exp(logits[i] - max);
            sum += exps[i];
        }
        float[] probabilities = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            probabilities[i] = (float) (exps[i] / sum);
        }
        return probabilities;
    }
}
