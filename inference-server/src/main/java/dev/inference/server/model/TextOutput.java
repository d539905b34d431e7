package dev.inference.server.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/** Which output of a text model's graph gives one vector per text, and what is done to it. */
public sealed interface TextOutput {

    /** The graph output read. */
    String output();

    /** The rank that output must have: checked when the model loads. */
    int rank();

    /**
     * One vector per text of the batch.
     *
     * @param mask [batch, length], flat: 1 for a text's tokens, 0 for padding
     */
    float[][] read(NDList outputs, long[] mask, int length);

    /** Token vectors [batch, tokens, hidden], pooled over each text's tokens, padding excluded. */
    record PooledTokens(String output, List<Pooling> modes, boolean normalize) implements TextOutput {

        public PooledTokens {
            if (modes.isEmpty()) {
                throw new IllegalArgumentException("at least one pooling mode");
            }
            modes = List.copyOf(modes);
        }

        @Override
        public int rank() {
            return 3;
        }

        @Override
        public float[][] read(NDList outputs, long[] mask, int length) {
            NDArray hidden = of(outputs, output);
            Shape shape = hidden.getShape();
            int batch = (int) shape.get(0);
            int dimension = (int) shape.get(2);
            float[] tokens = hidden.toFloatArray();
            float[][] vectors = new float[batch][];
            for (int row = 0; row < batch; row++) {
                float[] vector = new float[dimension * modes.size()];
                for (int i = 0; i < modes.size(); i++) {
                    modes.get(i).pool(tokens, mask, row, length, dimension, vector, i * dimension);
                }
                vectors[row] = normalize ? unitLength(vector) : vector;
            }
            return vectors;
        }
    }

    /** An output that already holds one row per text, [batch, values]: pooled embeddings, or logits. */
    record Rows(String output, boolean normalize) implements TextOutput {

        @Override
        public int rank() {
            return 2;
        }

        @Override
        public float[][] read(NDList outputs, long[] mask, int length) {
            NDArray rows = of(outputs, output);
            int batch = (int) rows.getShape().get(0);
            int width = (int) rows.getShape().get(1);
            float[] values = rows.toFloatArray();
            float[][] vectors = new float[batch][];
            for (int row = 0; row < batch; row++) {
                vectors[row] = java.util.Arrays.copyOfRange(values, row * width, (row + 1) * width);
                if (normalize) {
                    unitLength(vectors[row]);
                }
            }
            return vectors;
        }
    }

    /**
     * The token vectors copied out of ONNX Runtime and not pooled: what the benchmark measures the
     * pipeline's pooling against ({@code RawModelBenchmark --unpooled}). Each text's vector is empty.
     */
    record Unpooled(String output) implements TextOutput {

        @Override
        public int rank() {
            return 3;
        }

        @Override
        public float[][] read(NDList outputs, long[] mask, int length) {
            NDArray tokens = of(outputs, output);
            tokens.toFloatArray();
            return new float[(int) tokens.getShape().get(0)][0];
        }
    }

    private static NDArray of(NDList outputs, String name) {
        NDArray array = outputs.get(name);
        if (array == null) {
            throw new IllegalStateException("the graph gave no output \"" + name + "\"");
        }
        return array;
    }

    /** Scales the vector to length 1, as torch's {@code F.normalize} (the norm clamped at 1e-12). */
    static float[] unitLength(float[] vector) {
        double sumOfSquares = 0;
        for (float value : vector) {
            sumOfSquares += value * value;
        }
        float norm = (float) Math.max(Math.sqrt(sumOfSquares), 1e-12);
        for (int i = 0; i < vector.length; i++) {
            vector[i] /= norm;
        }
        return vector;
    }
}
