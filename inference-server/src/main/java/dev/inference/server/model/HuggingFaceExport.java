package dev.inference.server.model;

import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files of a Hugging Face export that say how its graph is served: Optimum's text-classification
 * export ({@code config.json} with {@code id2label}) and a sentence-transformers folder
 * ({@code modules.json} and its modules' folders). Their field names are Hugging Face's.
 */
public final class HuggingFaceExport {

    /** Hugging Face's model configuration, which the platform's own settings never take the name of. */
    public static final String CONFIG_FILE = "config.json";
    public static final String MODULES_FILE = "modules.json";
    static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    static final String SENTENCE_BERT_CONFIG_FILE = "sentence_bert_config.json";
    /** The graph outputs a text-classification export and a sentence-transformers export give. */
    static final String LOGITS = "logits";
    static final String SENTENCE_EMBEDDING = "sentence_embedding";
    static final List<String> TOKEN_OUTPUTS = List.of("token_embeddings", "last_hidden_state");

    /** A tokenizer without a real limit says so with a huge number (transformers' VERY_LARGE_INTEGER). */
    private static final long NO_LIMIT = 1_000_000;
    private static final int FALLBACK_MAX_LENGTH = 512;

    private HuggingFaceExport() {}

    /**
     * An Optimum text-classification export: labels from {@code id2label} in index order, sigmoid
     * per label for {@code multi_label_classification}, softmax otherwise.
     */
    public record Classification(List<String> labels, boolean multiLabel, int maxSequenceLength) {}

    /** A sentence-transformers export: how its graph's output becomes the sentence vector. */
    public record SentenceTransformers(List<Pooling> pooling, boolean normalize, int maxSequenceLength,
            List<String> unsupportedModules) {

        /** The output read for the sentence vector, among those the graph gives. */
        public TextOutput outputFor(List<String> graphOutputs, Path versionDir) throws IOException {
            if (graphOutputs.contains(SENTENCE_EMBEDDING)) {
                // Exported with every module inside the graph: the vector is ready.
                return new TextOutput.Rows(SENTENCE_EMBEDDING, normalize);
            }
            if (!unsupportedModules.isEmpty()) {
                throw new IOException(versionDir.resolve(MODULES_FILE) + " has modules the server does not run "
                        + unsupportedModules + "; export the model with them inside the graph (output "
                        + SENTENCE_EMBEDDING + ")");
            }
            if (pooling.isEmpty()) {
                throw new IOException(versionDir + " has no Pooling module in " + MODULES_FILE
                        + " and its graph gives no " + SENTENCE_EMBEDDING);
            }
            String tokens = TOKEN_OUTPUTS.stream().filter(graphOutputs::contains).findFirst()
                    .orElse(graphOutputs.get(0));
            return new TextOutput.PooledTokens(tokens, pooling, normalize);
        }
    }

    private record HfConfig(@SerializedName("id2label") Map<String, String> id2label,
            @SerializedName("problem_type") String problemType,
            @SerializedName("max_position_embeddings") Integer maxPositionEmbeddings) {}

    private record TokenizerConfig(@SerializedName("model_max_length") Double modelMaxLength) {}

    private record Module(String path, String type) {}

    private record PoolingConfig(
            @SerializedName("pooling_mode_cls_token") boolean cls,
            @SerializedName("pooling_mode_max_tokens") boolean max,
            @SerializedName("pooling_mode_mean_tokens") boolean mean,
            @SerializedName("pooling_mode_mean_sqrt_len_tokens") boolean meanSqrtLen,
            @SerializedName("pooling_mode_weightedmean_tokens") boolean weightedMean,
            @SerializedName("pooling_mode_lasttoken") boolean lastToken) {}

    private record SentenceBertConfig(@SerializedName("max_seq_length") Integer maxSeqLength) {}

    /**
     * Reads a text-classification export.
     *
     * @param maxSequenceLength the platform's setting, or null for the tokenizer's
     *     {@code model_max_length} (capped by the model's position embeddings)
     */
    public static Classification classification(Path versionDir, Integer maxSequenceLength) throws IOException {
        Path file = versionDir.resolve(CONFIG_FILE);
        HfConfig config = JsonFiles.read(file, HfConfig.class);
        if (config.id2label() == null || config.id2label().size() < 2) {
            throw new IOException(file + " must name at least two labels in id2label");
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < config.id2label().size(); i++) {
            String label = config.id2label().get(String.valueOf(i));
            if (label == null || label.isEmpty()) {
                throw new IOException(file + ": id2label must name every index from 0 to "
                        + (config.id2label().size() - 1) + ", it has no " + i);
            }
            labels.add(label);
        }
        if (labels.stream().distinct().count() != labels.size()) {
            throw new IOException(file + ": id2label names a label twice: " + labels);
        }
        boolean multiLabel = "multi_label_classification".equals(config.problemType());
        int length = maxSequenceLength != null ? maxSequenceLength : tokenizerLimit(versionDir, config);
        return new Classification(List.copyOf(labels), multiLabel, length);
    }

    /** Reads a sentence-transformers folder's modules. */
    public static SentenceTransformers sentenceTransformers(Path versionDir, Integer maxSequenceLength)
            throws IOException {
        Module[] modules = JsonFiles.read(versionDir.resolve(MODULES_FILE), Module[].class);
        List<Pooling> pooling = List.of();
        boolean normalize = false;
        List<String> unsupported = new ArrayList<>();
        for (Module module : modules) {
            String type = module.type() == null ? "" : module.type();
            if (type.endsWith(".Pooling")) {
                pooling = poolingModes(versionDir.resolve(module.path()).resolve(CONFIG_FILE));
            } else if (type.endsWith(".Normalize")) {
                normalize = true;
            } else if (!type.endsWith(".Transformer")) {
                unsupported.add(type);
            }
        }
        Path sbert = versionDir.resolve(SENTENCE_BERT_CONFIG_FILE);
        Integer declared = Files.exists(sbert) ? JsonFiles.read(sbert, SentenceBertConfig.class).maxSeqLength() : null;
        int length;
        if (maxSequenceLength != null || declared != null) {
            length = maxSequenceLength != null ? maxSequenceLength : declared;
        } else {
            Path config = versionDir.resolve(CONFIG_FILE);
            length = tokenizerLimit(versionDir, Files.exists(config)
                    ? JsonFiles.read(config, HfConfig.class) : new HfConfig(null, null, null));
        }
        return new SentenceTransformers(pooling, normalize, length, List.copyOf(unsupported));
    }

    private static List<Pooling> poolingModes(Path file) throws IOException {
        PoolingConfig config = JsonFiles.read(file, PoolingConfig.class);
        if (config.weightedMean() || config.lastToken()) {
            throw new IOException(file + " asks for " + (config.weightedMean() ? "weighted-mean" : "last-token")
                    + " pooling; the server pools by cls, max, mean and mean_sqrt_len");
        }
        List<Pooling> modes = new ArrayList<>();
        if (config.cls()) {
            modes.add(Pooling.CLS);
        }
        if (config.max()) {
            modes.add(Pooling.MAX);
        }
        if (config.mean()) {
            modes.add(Pooling.MEAN);
        }
        if (config.meanSqrtLen()) {
            modes.add(Pooling.MEAN_SQRT_LEN);
        }
        if (modes.isEmpty()) {
            throw new IOException(file + " turns every pooling mode off");
        }
        return List.copyOf(modes);
    }

    private static int tokenizerLimit(Path versionDir, HfConfig config) throws IOException {
        long limit = FALLBACK_MAX_LENGTH;
        Path file = versionDir.resolve(TOKENIZER_CONFIG_FILE);
        Double declared = Files.exists(file) ? JsonFiles.read(file, TokenizerConfig.class).modelMaxLength() : null;
        if (declared != null && declared < NO_LIMIT) {
            limit = declared.longValue();
        } else if (config.maxPositionEmbeddings() != null) {
            limit = config.maxPositionEmbeddings();
        }
        return (int) Math.min(limit, 8192);
    }
}
