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
 * Turns a batch of texts into one vector per text: tokenizes, pads to the longest text of the batch
 * (not to the maximum length, so short batches stay cheap), runs the graph and reads its
 * {@link TextOutput}.
 *
 * <p>Texts are tokenized one by one rather than with the tokenizer's batch call, which would
 * start a Rust thread pool competing with the inference workers for the same cores.
 */
final class TextTranslator implements NoBatchifyTranslator<List<String>, TextEncoder.Encoded> {

    private static final String MASK = "attention_mask";
    private static final String TOKENS = "tokens";

    private final HuggingFaceTokenizer tokenizer;
    private final boolean feedsTokenTypeIds;
    private final TextOutput output;

    TextTranslator(HuggingFaceTokenizer tokenizer, boolean feedsTokenTypeIds, TextOutput output) {
        this.tokenizer = tokenizer;
        this.feedsTokenTypeIds = feedsTokenTypeIds;
        this.output = output;
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
        int[] tokens = new int[batch];
        for (int row = 0; row < batch; row++) {
            long[] rowIds = encodings[row].getIds();
            long[] rowTypes = encodings[row].getTypeIds();
            int offset = row * length;
            System.arraycopy(rowIds, 0, ids, offset, rowIds.length);
            System.arraycopy(rowTypes, 0, types, offset, rowTypes.length);
            for (int i = 0; i < rowIds.length; i++) {
                mask[offset + i] = 1;
            }
            tokens[row] = rowIds.length;
        }
        ctx.setAttachment(MASK, mask);
        ctx.setAttachment(TOKENS, tokens);

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
    public TextEncoder.Encoded processOutput(TranslatorContext ctx, NDList outputs) {
        long[] mask = (long[]) ctx.getAttachment(MASK);
        int[] tokens = (int[]) ctx.getAttachment(TOKENS);
        return new TextEncoder.Encoded(output.read(outputs, mask, mask.length / tokens.length), tokens);
    }

    private static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }
}
