package dev.inference.server.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.List;

/**
 * Turns a batch of texts into sentence vectors: tokenizes, pads to the longest text of the batch
 * (not to the maximum length, so short batches stay cheap), runs the encoder and pools.
 *
 * <p>Texts are tokenized one by one rather than with the tokenizer's batch call, which would
 * start a Rust thread pool competing with the inference workers for the same cores.
 */
final class EmbeddingTranslator implements NoBatchifyTranslator<List<String>, float[][]> {

    private static final String MASK = "attention_mask";

    private final HuggingFaceTokenizer tokenizer;
    private final boolean feedsTokenTypeIds;
    private final Pooling pooling;
    private final boolean normalize;

    EmbeddingTranslator(
            HuggingFaceTokenizer tokenizer, boolean feedsTokenTypeIds, Pooling pooling, boolean normalize) {
        this.tokenizer = tokenizer;
        this.feedsTokenTypeIds = feedsTokenTypeIds;
        this.pooling = pooling;
        this.normalize = normalize;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, List<String> texts) {
        Encoding[] encodings = new Encoding[texts.size()];
        int length = 1;
        for (int i = 0; i < encodings.length; i++) {
            encodings[i] = tokenizer.encode(texts.get(i));
            length = Math.max(length, encodings[i].getIds().length);
        }
        int batch = encodings.length;
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        for (int row = 0; row < batch; row++) {
            long[] rowIds = encodings[row].getIds();
            long[] rowTypes = encodings[row].getTypeIds();
            int offset = row * length;
            System.arraycopy(rowIds, 0, ids, offset, rowIds.length);
            System.arraycopy(rowTypes, 0, types, offset, rowTypes.length);
            for (int i = 0; i < rowIds.length; i++) {
                mask[offset + i] = 1;
            }
        }
        ctx.setAttachment(MASK, mask);

        NDManager manager = ctx.getNDManager();
        Shape shape = new Shape(batch, length);
        NDList inputs = new NDList(
                named(manager.create(ids, shape), "input_ids"), named(manager.create(mask, shape), MASK));
        if (feedsTokenTypeIds) {
            inputs.add(named(manager.create(types, shape), "token_type_ids"));
        }
        return inputs;
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList outputs) {
        NDArray hidden = outputs.get(0);
        Shape shape = hidden.getShape();
        if (shape.dimension() != 3) {
            throw new IllegalStateException(
                    "expected token vectors [batch, tokens, hidden] as the first output, got " + shape);
        }
        int batch = (int) shape.get(0);
        int length = (int) shape.get(1);
        int dimension = (int) shape.get(2);
        float[] tokens = hidden.toFloatArray();
        long[] mask = (long[]) ctx.getAttachment(MASK);

        float[][] embeddings = new float[batch][];
        for (int row = 0; row < batch; row++) {
            float[] vector = pooling == Pooling.CLS
                    ? clsVector(tokens, row, length, dimension)
                    : meanVector(tokens, mask, row, length, dimension);
            embeddings[row] = normalize ? unitLength(vector) : vector;
        }
        return embeddings;
    }

    private static float[] clsVector(float[] tokens, int row, int length, int dimension) {
        float[] vector = new float[dimension];
        System.arraycopy(tokens, row * length * dimension, vector, 0, dimension);
        return vector;
    }

    private static float[] meanVector(float[] tokens, long[] mask, int row, int length, int dimension) {
        float[] vector = new float[dimension];
        int counted = 0;
        for (int token = 0; token < length; token++) {
            if (mask[row * length + token] == 0) {
                continue;
            }
            int offset = (row * length + token) * dimension;
            for (int i = 0; i < dimension; i++) {
                vector[i] += tokens[offset + i];
            }
            counted++;
        }
        for (int i = 0; i < dimension; i++) {
            vector[i] /= Math.max(counted, 1);
        }
        return vector;
    }

    private static float[] unitLength(float[] vector) {
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

    private static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }
}
