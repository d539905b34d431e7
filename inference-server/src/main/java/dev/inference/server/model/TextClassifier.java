package dev.inference.server.model;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One loaded model version: an encoder whose sentence vectors feed a linear classifier head. */
public final class TextClassifier implements AutoCloseable {

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

    /** A classifier for one worker thread; not thread-safe. */
    public Worker newWorker() {
        return new Worker(embedder.newPredictor());
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
    public final class Worker implements AutoCloseable {

        private final Predictor<List<String>, float[][]> predictor;

        private Worker(Predictor<List<String>, float[][]> predictor) {
            this.predictor = predictor;
        }

        /** Classifies the texts in one forward pass; results are in the order of the texts. */
        public List<Classification> classify(List<String> texts) throws TranslateException {
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
