package dev.inference.server.model;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import dev.inference.server.batching.BatchModel;
import dev.inference.server.batching.BatchWorker;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One loaded model version: an encoder whose sentence vectors feed a linear classifier head. It is
 * what the {@link dev.inference.server.batching.DynamicBatcher} of its version runs.
 */
public final class TextClassifier implements BatchModel<String, Classification>, AutoCloseable {

    /** Roughly four characters to a word piece in English text; the encoders add two special tokens. */
    private static final int CHARS_PER_TOKEN = 4;
    private static final int SPECIAL_TOKENS = 2;

    /** A fresh session allocates its buffers on its first calls, for one text and for several. */
    private static final List<List<String>> WARM_UP_BATCHES = List.of(
            List.of("warm up"),
            List.of("The first call to a fresh session allocates its buffers.", "short", "a third text"));

    private final String model;
    private final String version;
    private final ModelVersionConfig config;
    private final TextEmbedder embedder;
    private final ClassifierHead head;

    private TextClassifier(
            String model, String version, ModelVersionConfig config, TextEmbedder embedder, ClassifierHead head) {
        this.model = model;
        this.version = version;
        this.config = config;
        this.embedder = embedder;
        this.head = head;
    }

    /** Loads {@code <repository>/<model>/<version>/}: config, head, encoder and tokenizer. */
    public static TextClassifier load(String model, String version, Path versionDir, int intraOpThreads)
            throws IOException {
        ModelVersionConfig config = ModelVersionConfig.read(versionDir);
        ClassifierHead head = ClassifierHead.read(versionDir);
        if (head.labelCount() != config.labels().size()) {
            throw new IOException(versionDir + ": " + ClassifierHead.FILE_NAME + " has " + head.labelCount()
                    + " outputs but " + ModelVersionConfig.FILE_NAME + " names " + config.labels().size()
                    + " labels");
        }
        TextEmbedder embedder = TextEmbedder.load(versionDir, config, intraOpThreads);
        return new TextClassifier(model, version, config, embedder, head);
    }

    public String model() {
        return model;
    }

    public String version() {
        return version;
    }

    public ModelVersionConfig config() {
        return config;
    }

    public List<String> labels() {
        return config.labels();
    }

    /** A classifier for one worker thread, its first forward passes done; not thread-safe. */
    @Override
    public Worker newWorker() throws TranslateException {
        Worker worker = new Worker(embedder.newPredictor());
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
        return Math.min(config.maxSequenceLength(), text.length() / CHARS_PER_TOKEN + SPECIAL_TOKENS);
    }

    @Override
    public void close() {
        embedder.close();
    }

    @Override
    public String toString() {
        return model + "/" + version;
    }

    /** Classifies batches on the thread that owns it. */
    public final class Worker implements BatchWorker<String, Classification> {

        private final Predictor<List<String>, float[][]> predictor;

        private Worker(Predictor<List<String>, float[][]> predictor) {
            this.predictor = predictor;
        }

        /** Classifies the texts in one forward pass; results are in the order of the texts. */
        @Override
        public List<Classification> run(List<String> texts) throws TranslateException {
            float[][] embeddings = predictor.predict(texts);
            List<Classification> results = new ArrayList<>(embeddings.length);
            for (float[] embedding : embeddings) {
                if (embedding.length != head.dimension()) {
                    throw new TranslateException(TextClassifier.this + " produces vectors of " + embedding.length
                            + " values but its head expects " + head.dimension());
                }
                results.add(Classification.of(head.probabilities(embedding)));
            }
            return results;
        }

        @Override
        public void close() {
            predictor.close();
        }
    }
}
