package dev.inference.server.model;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import dev.inference.server.batching.BatchModel;
import dev.inference.server.batching.BatchWorker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A loaded text model version: its {@link TextEncoder} and what the encoder's vectors become for
 * each text ({@link #outputs}). It is what the {@link dev.inference.server.batching.DynamicBatcher}
 * of its version runs.
 *
 * @param <O> what a text becomes: a classification, an embedding
 */
public abstract sealed class TextModel<O> implements BatchModel<String, O>, AutoCloseable
        permits TextClassifier, TextEmbedding {

    /** Roughly four characters to a word piece in English text; the encoders add two special tokens. */
    private static final int CHARS_PER_TOKEN = 4;
    private static final int SPECIAL_TOKENS = 2;

    /** A fresh session allocates its buffers on its first calls, for one text and for several. */
    private static final List<List<String>> WARM_UP_BATCHES = List.of(
            List.of("warm up"),
            List.of("The first call to a fresh session allocates its buffers.", "short", "a third text"));

    private final String model;
    private final String version;
    private final int maxSequenceLength;
    private final Integer maxBatchSize;
    private final TextEncoder encoder;

    TextModel(String model, String version, int maxSequenceLength, Integer maxBatchSize, TextEncoder encoder) {
        this.model = model;
        this.version = version;
        this.maxSequenceLength = maxSequenceLength;
        this.maxBatchSize = maxBatchSize;
        this.encoder = encoder;
    }

    /**
     * Loads a version folder of a text layout.
     *
     * @param intraOpThreads threads one forward pass may use, unless the folder's settings say otherwise
     * @throws IllegalArgumentException for {@link Layout#TENSOR}
     */
    public static TextModel<?> load(Layout layout, String model, String version, Path versionDir,
            VersionSettings settings, int intraOpThreads) throws IOException {
        int threads = settings.intraOpThreads(intraOpThreads);
        return switch (layout) {
            case CLASSIFIER_WITH_HEAD -> TextClassifier.loadWithHead(model, version, versionDir, threads);
            case CLASSIFICATION_EXPORT ->
                    TextClassifier.loadExport(model, version, versionDir, settings.maxSequenceLength(), threads);
            case SENTENCE_TRANSFORMERS ->
                    TextEmbedding.load(model, version, versionDir, settings.maxSequenceLength(), threads);
            case TENSOR -> throw new IllegalArgumentException(versionDir + " is a tensor model, not a text model");
        };
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }

    /** Texts are truncated to this many tokens, special tokens included. */
    public int maxSequenceLength() {
        return maxSequenceLength;
    }

    /** The most texts per forward pass this version's own files ask for, or null. */
    public Integer maxBatchSize() {
        return maxBatchSize;
    }

    TextEncoder encoder() {
        return encoder;
    }

    /** What each text of a forward pass becomes, in the order of the texts. */
    abstract List<O> outputs(TextEncoder.Encoded encoded) throws TranslateException;

    /** A worker for one thread, its first forward passes done; not thread-safe. */
    @Override
    public BatchWorker<String, O> newWorker() throws TranslateException {
        Worker worker = new Worker(encoder.newPredictor());
        try {
            for (List<String> texts : WARM_UP_BATCHES) {
                worker.run(texts);
            }
        } catch (TranslateException | RuntimeException e) {
            worker.close();
            throw e;
        }
        return worker;
    }

    /**
     * The tokens a text will take, estimated from its characters without tokenizing it twice: what
     * the batcher's padding bound compares. Texts longer than the model reads are truncated.
     */
    public int estimatedTokens(String text) {
        return Math.min(maxSequenceLength, text.length() / CHARS_PER_TOKEN + SPECIAL_TOKENS);
    }

    @Override
    public void close() {
        encoder.close();
    }

    @Override
    public String toString() {
        return model + "/" + version;
    }

    /** Runs batches on the thread that owns it. */
    private final class Worker implements BatchWorker<String, O> {

        private final Predictor<List<String>, TextEncoder.Encoded> predictor;

        private Worker(Predictor<List<String>, TextEncoder.Encoded> predictor) {
            this.predictor = predictor;
        }

        /** One forward pass; results are in the order of the texts. */
        @Override
        public List<O> run(List<String> texts) throws TranslateException {
            return outputs(predictor.predict(texts));
        }

        @Override
        public void close() {
            predictor.close();
        }
    }
}
