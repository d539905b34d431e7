package dev.inference.api.tensors;

/** How alike two embeddings are, as every part of the platform that compares them measures it. */
public final class Similarity {

    private Similarity() {}

    /**
     * The cosine of the angle between two vectors of equal length: 1 for the same direction; 0
     * when either is all zeros.
     */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " values");
        }
        double dot = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : dot / Math.sqrt(aa * bb);
    }
}
