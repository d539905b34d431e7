package dev.inference.server.model;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A text classifier: the platform's form (an encoder whose sentence vectors feed the linear head
 * of {@code head.json}) or a Hugging Face text-classification export (the graph gives logits).
 */
public final class TextClassifier extends TextModel<Classification> {

    private final List<String> labels;
    private final Scores scores;

    private TextClassifier(String model, String version, List<String> labels, int maxSequenceLength,
            Integer maxBatchSize, TextEncoder encoder, Scores scores) {
        super(model, version, maxSequenceLength, maxBatchSize, encoder);
        this.labels = labels;
        this.scores = scores;
    }

    /** Loads the platform's form: {@code config.json} (the platform's), head, encoder and tokenizer. */
    public static TextClassifier loadWithHead(String model, String version, Path versionDir, int intraOpThreads)
            throws IOException {
        ModelVersionConfig config = ModelVersionConfig.read(versionDir);
        ClassifierHead head = ClassifierHead.read(versionDir);
        if (head.labelCount() != config.labels().size()) {
            throw new IOException(versionDir + ": " + ClassifierHead.FILE_NAME + " has " + head.labelCount()
                    + " outputs but " + ModelVersionConfig.FILE_NAME + " names " + config.labels().size()
                    + " labels");
        }
        TextEncoder encoder = TextEncoder.load(versionDir, config.maxSequenceLength(), config.output(), intraOpThreads);
        return new TextClassifier(model, version, config.labels(), config.maxSequenceLength(), config.maxBatchSize(),
                encoder, head);
    }

    /**
     * Loads an Optimum text-classification export: the graph's {@code logits} [batch, labels],
     * the labels of {@code config.json}'s {@code id2label}.
     *
     * @param maxSequenceLength the platform's setting, or null for the export's tokenizer limit
     */
    public static TextClassifier loadExport(String model, String version, Path versionDir, Integer maxSequenceLength,
            int intraOpThreads) throws IOException {
        HuggingFaceExport.Classification export = HuggingFaceExport.classification(versionDir, maxSequenceLength);
        TextEncoder encoder = TextEncoder.load(versionDir, export.maxSequenceLength(),
                outputs -> new TextOutput.Rows(HuggingFaceExport.LOGITS, false), intraOpThreads);
        if (encoder.dimension() != -1 && encoder.dimension() != export.labels().size()) {
            encoder.close();
            throw new IOException(versionDir + ": the graph gives " + encoder.dimension() + " logits but "
                    + HuggingFaceExport.CONFIG_FILE + " names " + export.labels().size() + " labels");
        }
        return new TextClassifier(model, version, export.labels(), export.maxSequenceLength(), null, encoder,
                Scores.ofLogits(export.multiLabel()));
    }

    /** The labels, in the order of the probabilities. */
    public List<String> labels() {
        return labels;
    }

    @Override
    List<Classification> outputs(TextEncoder.Encoded encoded) throws TranslateException {
        List<Classification> results = new ArrayList<>(encoded.vectors().length);
        for (float[] vector : encoded.vectors()) {
            int expected = scores.dimension() == -1 ? labels.size() : scores.dimension();
            if (vector.length != expected) {
                throw new TranslateException(this + " produces vectors of " + vector.length + " values but expects "
                        + expected);
            }
            results.add(Classification.of(scores.probabilities(vector)));
        }
        return results;
    }
}
