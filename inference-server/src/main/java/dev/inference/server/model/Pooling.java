package dev.inference.server.model;

import com.google.gson.annotations.SerializedName;

/**
 * How the token vectors of one text become one sentence vector, padding excluded, as
 * sentence-transformers' {@code Pooling} module computes each mode. When a model asks for several
 * modes their vectors are concatenated in the order of this enum, which is sentence-transformers' order.
 */
public enum Pooling {
    /** The vector of the first ([CLS]) token (what BGE-style encoders were trained for). */
    @SerializedName("cls")
    CLS {
        @Override
        void pool(float[] tokens, long[] mask, int row, int length, int dimension, float[] out, int at) {
            System.arraycopy(tokens, row * length * dimension, out, at, dimension);
        }
    },
    /** The largest value of each dimension over the text's tokens. */
    @SerializedName("max")
    MAX {
        @Override
        void pool(float[] tokens, long[] mask, int row, int length, int dimension, float[] out, int at) {
            // sentence-transformers sets padding to -1e9 before its max: a text of no tokens pools to that.
            java.util.Arrays.fill(out, at, at + dimension, -1e9f);
            for (int token = 0; token < length; token++) {
                if (mask[row * length + token] != 0) {
                    int offset = (row * length + token) * dimension;
                    for (int i = 0; i < dimension; i++) {
                        out[at + i] = Math.max(out[at + i], tokens[offset + i]);
                    }
                }
            }
        }
    },
    /** Average of the token vectors (what MiniLM-style encoders were trained for). */
    @SerializedName("mean")
    MEAN {
        @Override
        void pool(float[] tokens, long[] mask, int row, int length, int dimension, float[] out, int at) {
            float count = sum(tokens, mask, row, length, dimension, out, at);
            // sentence-transformers clamps the count at 1e-9 rather than 1.
            divide(out, at, dimension, Math.max(count, 1e-9f));
        }
    },
    /** The sum of the token vectors over the square root of their number. */
    @SerializedName("mean_sqrt_len")
    MEAN_SQRT_LEN {
        @Override
        void pool(float[] tokens, long[] mask, int row, int length, int dimension, float[] out, int at) {
            float count = sum(tokens, mask, row, length, dimension, out, at);
            divide(out, at, dimension, (float) Math.sqrt(Math.max(count, 1e-9f)));
        }
    };

    /**
     * Pools row {@code row} of {@code tokens} ([batch, length, dimension], flat) into {@code out}
     * from {@code at}, over the tokens whose {@code mask} ([batch, length]) is set.
     */
    abstract void pool(float[] tokens, long[] mask, int row, int length, int dimension, float[] out, int at);

    /** Sums the masked token vectors into {@code out}; returns how many there were. */
    private static float sum(float[] tokens, long[] mask, int row, int length, int dimension, float[] out, int at) {
        int counted = 0;
        for (int token = 0; token < length; token++) {
            if (mask[row * length + token] == 0) {
                continue;
            }
            int offset = (row * length + token) * dimension;
            for (int i = 0; i < dimension; i++) {
                out[at + i] += tokens[offset + i];
            }
            counted++;
        }
        return counted;
    }

    private static void divide(float[] out, int at, int dimension, float by) {
        for (int i = 0; i < dimension; i++) {
            out[at + i] /= by;
        }
    }
}
