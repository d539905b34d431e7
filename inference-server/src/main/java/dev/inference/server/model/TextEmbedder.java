package dev.inference.server.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A BERT-family encoder exported to ONNX plus its tokenizer, run by DJL on ONNX Runtime: texts in,
 * sentence vectors out.
 *
 * <p>One ONNX Runtime session is shared by all predictors (a session may run concurrently); each
 * worker owns one {@link Predictor}, which is not thread-safe.
 */
public final class TextEmbedder implements AutoCloseable {

    public static final String TOKENIZER_FILE = "tokenizer.json";
    private static final String ENGINE = "OnnxRuntime";

    private final Model model;
    private final HuggingFaceTokenizer tokenizer;
    private final EmbeddingTranslator translator;

    private TextEmbedder(Model model, HuggingFaceTokenizer tokenizer, EmbeddingTranslator translator) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.translator = translator;
    }

    /**
     * Loads {@code model.onnx} and {@code tokenizer.json} from a version directory.
     *
     * @param intraOpThreads threads one forward pass may use; 1 lets several workers share the
     *     cores without oversubscribing them
     */
    public static TextEmbedder load(Path versionDir, ModelVersionConfig config, int intraOpThreads)
            throws IOException {
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(versionDir.resolve(TOKENIZER_FILE))
                .optMaxLength(config.maxSequenceLength())
                .optTruncation(true)
                .optPadding(false)
                .optAddSpecialTokens(true)
                .build();
        Model model = Model.newInstance(versionDir.toString(), Device.cpu(), ENGINE);
        try {
            model.load(versionDir, OnnxSessions.MODEL_FILE, Map.of("sessionOptions", OnnxSessions.options(intraOpThreads)));
        } catch (MalformedModelException | OrtException | IOException e) {
            model.close();
            tokenizer.close();
            throw new IOException("cannot load " + versionDir.resolve(OnnxSessions.MODEL_FILE) + ": " + e.getMessage(), e);
        }
        List<String> inputs = model.describeInput().keys();
        if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
            model.close();
            tokenizer.close();
            throw new IOException(versionDir.resolve(OnnxSessions.MODEL_FILE)
                    + " must take input_ids and attention_mask, it takes " + inputs);
        }
        EmbeddingTranslator translator = new EmbeddingTranslator(
                tokenizer, inputs.contains("token_type_ids"), config.pooling(), config.normalize());
        return new TextEmbedder(model, tokenizer, translator);
    }

    /** A new predictor for one worker thread: a batch of texts in, one sentence vector per text out. */
    public Predictor<List<String>, float[][]> newPredictor() {
        return model.newPredictor(translator);
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
