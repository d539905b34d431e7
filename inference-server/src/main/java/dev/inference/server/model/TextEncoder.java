package dev.inference.server.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.Map;

/**
 * A transformer exported to ONNX plus its tokenizer, run by DJL on ONNX Runtime: texts in, one
 * vector per text out (a sentence vector, or a classifier's logits), as its {@link TextOutput} says.
 *
 * <p>One ONNX Runtime session is shared by all predictors (a session may run concurrently); each
 * worker owns one {@link Predictor}, which is not thread-safe.
 */
public final class TextEncoder implements AutoCloseable {

    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** The vectors of a batch's texts, in their order, and how many tokens each text took. */
    public record Encoded(float[][] vectors, int[] tokens) {}

    private static final String ENGINE = "OnnxRuntime";

    private final Model model;
    private final HuggingFaceTokenizer tokenizer;
    private final TextTranslator translator;
    private final int dimension;

    /** Picks the output to read from the names of the graph's outputs. */
    @FunctionalInterface
    public interface OutputChoice {
        TextOutput choose(List<String> graphOutputs) throws IOException;
    }

    private TextEncoder(Model model, HuggingFaceTokenizer tokenizer, TextTranslator translator, int dimension) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.translator = translator;
        this.dimension = dimension;
    }

    /**
     * Loads {@code model.onnx} and {@code tokenizer.json} from a version directory.
     *
     * @param maxSequenceLength texts are truncated to this many tokens, special tokens included
     * @param outputFor the output to read, given the names of the graph's outputs
     * @param intraOpThreads threads one forward pass may use; 1 lets several workers share the
     *     cores without oversubscribing them
     * @throws IOException when the files do not load, or the graph lacks the inputs or the output
     *     the task needs: the message names what the graph has
     */
    public static TextEncoder load(Path versionDir, int maxSequenceLength, OutputChoice outputFor, int intraOpThreads)
            throws IOException {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(versionDir.resolve(TOKENIZER_FILE))
                .optMaxLength(maxSequenceLength)
                .optTruncation(true)
                .optPadding(false)
                .optAddSpecialTokens(true)
                .build();
        Model model = Model.newInstance(versionDir.toString(), Device.cpu(), ENGINE);
        try {
            model.load(versionDir, OnnxSessions.MODEL_FILE, Map.of("sessionOptions", OnnxSessions.options(intraOpThreads)));
            Path graph = versionDir.resolve(OnnxSessions.MODEL_FILE);
            List<String> inputs = model.describeInput().keys();
            if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
                throw new IOException(graph + " must take input_ids and attention_mask, it takes " + inputs);
            }
            List<GraphOutputs.Output> outputs = GraphOutputs.read(graph);
            TextOutput output = outputFor.choose(outputs.stream().map(GraphOutputs.Output::name).toList());
            GraphOutputs.Output read = outputs.stream().filter(o -> o.name().equals(output.output())).findFirst()
                    .orElse(null);
            if (read == null || read.shape().length != output.rank()) {
                throw new IOException(graph + " must give " + output.output() + " of rank " + output.rank()
                        + ", it gives " + outputs.stream().map(o -> o.name() + " " + Arrays.toString(o.shape()))
                        .collect(Collectors.joining(", ")));
            }
            long width = read.shape()[output.rank() - 1];
            int dimension = width < 1 ? -1 : (int) width
                    * (output instanceof TextOutput.PooledTokens pooled ? pooled.modes().size() : 1);
            TextTranslator translator = new TextTranslator(tokenizer, inputs.contains("token_type_ids"), output);
            return new TextEncoder(model, tokenizer, translator, dimension);
        } catch (MalformedModelException | OrtException | IOException e) {
            model.close();
            tokenizer.close();
            throw e instanceof IOException io && io.getCause() == null ? io
                    : new IOException("cannot load " + versionDir.resolve(OnnxSessions.MODEL_FILE) + ": " + e.getMessage(), e);
        }
    }

    /** Values per text, as the graph declares them; -1 when the graph leaves it open. */
    public int dimension() {
        return dimension;
    }

    /** A new predictor for one worker thread: a batch of texts in, one vector per text out. */
    public Predictor<List<String>, Encoded> newPredictor() {
        return model.newPredictor(translator);
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
