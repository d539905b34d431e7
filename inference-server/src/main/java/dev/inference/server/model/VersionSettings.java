package dev.inference.server.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The platform's own optional settings for one model version, in {@code serving.json} (not
 * {@code config.json}: Hugging Face exports use that name for themselves). Each field left out
 * keeps what the graph implies and the server's flags say.
 *
 * @param maxBatchSize the most inputs (texts, or rows of a tensor model) per forward pass; 0 turns
 *     batching off, as Triton's {@code max_batch_size: 0}; the server's {@code --max-batch-size} caps it
 * @param workers threads running this version, each with its own session state
 * @param intraOpThreads threads ONNX Runtime may use for one forward pass
 * @param maxSequenceLength a Hugging Face export's texts are truncated to this many tokens
 *     (special tokens included) instead of the export's own limit
 */
public record VersionSettings(Integer maxBatchSize, Integer workers, Integer intraOpThreads, Integer maxSequenceLength) {

    public static final String FILE_NAME = "serving.json";
    private static final VersionSettings NONE = new VersionSettings(null, null, null, null);

    public VersionSettings {
        if (maxBatchSize != null && maxBatchSize < 0) {
            throw new IllegalArgumentException("maxBatchSize must be 0 (no batching) or more, was " + maxBatchSize);
        }
        if (workers != null && (workers < 1 || workers > 64)) {
            throw new IllegalArgumentException("workers must be between 1 and 64, was " + workers);
        }
        if (intraOpThreads != null && (intraOpThreads < 1 || intraOpThreads > 64)) {
            throw new IllegalArgumentException("intraOpThreads must be between 1 and 64, was " + intraOpThreads);
        }
        if (maxSequenceLength != null && (maxSequenceLength < 2 || maxSequenceLength > 8192)) {
            throw new IllegalArgumentException("maxSequenceLength must be between 2 and 8192, was " + maxSequenceLength);
        }
    }

    /** The folder's settings, or none when it has no {@value #FILE_NAME}. */
    public static VersionSettings read(Path versionDir) throws IOException {
        Path file = versionDir.resolve(FILE_NAME);
        return Files.exists(file) ? JsonFiles.read(file, VersionSettings.class) : NONE;
    }

    public int intraOpThreads(int serverDefault) {
        return intraOpThreads != null ? intraOpThreads : serverDefault;
    }
}
