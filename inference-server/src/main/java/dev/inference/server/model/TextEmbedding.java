package dev.inference.server.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sentence-transformers export: texts in, one sentence vector per text out, pooled and
 * normalised as the folder's modules say ({@link HuggingFaceExport.SentenceTransformers}).
 */
public final class TextEmbedding extends TextModel<Embedding> {

    private final int dimension;

    private TextEmbedding(String model, String version, int maxSequenceLength, TextEncoder encoder, int dimension) {
        super(model, version, maxSequenceLength, null, encoder);
        this.dimension = dimension;
    }

    /**
     * Loads a sentence-transformers folder.
     *
     * @param maxSequenceLength the platform's setting, or null for {@code sentence_bert_config.json}'s
     */
    public static TextEmbedding load(String model, String version, Path versionDir, Integer maxSequenceLength,
            int intraOpThreads) throws IOException {
        HuggingFaceExport.SentenceTransformers export =
                HuggingFaceExport.sentenceTransformers(versionDir, maxSequenceLength);
        TextEncoder encoder = TextEncoder.load(versionDir, export.maxSequenceLength(),
                outputs -> export.outputFor(outputs, versionDir), intraOpThreads);
        if (encoder.dimension() < 1) {
            encoder.close();
            throw new IOException(versionDir + ": the graph leaves the vectors' width open; the server reports a"
                    + " fixed dimension for every embedding model");
        }
        return new TextEmbedding(model, version, export.maxSequenceLength(), encoder, encoder.dimension());
    }

    /** Values per sentence vector. */
    public int dimension() {
        return dimension;
    }

    @Override
    List<Embedding> outputs(TextEncoder.Encoded encoded) {
        List<Embedding> embeddings = new ArrayList<>(encoded.vectors().length);
        for (int i = 0; i < encoded.vectors().length; i++) {
            embeddings.add(new Embedding(encoded.vectors()[i], encoded.tokens()[i]));
        }
        return embeddings;
    }
}
