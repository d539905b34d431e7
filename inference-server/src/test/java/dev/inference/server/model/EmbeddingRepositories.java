package dev.inference.server.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One-model repositories for canary tests of embeddings, each serving {@value #MODEL} version 1 from
 * the default repository's files: the FP32 export (stable), its int8 re-export (a canary that should
 * agree), or bge-small-en-v1.5 laid out as a sentence-transformers export under the same name (a
 * canary of another model, 384 dimensions too, that must not).
 */
public final class EmbeddingRepositories {

    public static final String MODEL = "all-minilm-l6-v2";

    private EmbeddingRepositories() {}

    public static Path fp32(Path defaults, Path target) throws IOException {
        return linked(defaults.resolve(MODEL).resolve("1"), target);
    }

    public static Path int8(Path defaults, Path target) throws IOException {
        return linked(defaults.resolve(MODEL).resolve("2"), target);
    }

    /** bge-small-en-v1.5 (int8, the sentiment model's version 2 encoder) as sentence-transformers exports it: CLS pooling, Normalize. */
    public static Path otherModel(Path defaults, Path target) throws IOException {
        Path version = Files.createDirectories(target.resolve(MODEL).resolve("1"));
        Path bge = defaults.resolve("sentiment").resolve("2");
        Path minilm = defaults.resolve(MODEL).resolve("1");
        for (String file : java.util.List.of(OnnxSessions.MODEL_FILE, TextEncoder.TOKENIZER_FILE)) {
            Files.createSymbolicLink(version.resolve(file), bge.resolve(file).toAbsolutePath());
        }
        Files.copy(minilm.resolve(HuggingFaceExport.MODULES_FILE), version.resolve(HuggingFaceExport.MODULES_FILE));
        Files.createDirectories(version.resolve("1_Pooling"));
        Files.writeString(version.resolve("1_Pooling").resolve(HuggingFaceExport.CONFIG_FILE), """
                {"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}
                """);
        Files.writeString(version.resolve(HuggingFaceExport.SENTENCE_BERT_CONFIG_FILE),
                "{\"max_seq_length\": 512, \"do_lower_case\": true}\n");
        return target;
    }

    private static Path linked(Path versionDir, Path target) throws IOException {
        Path model = Files.createDirectories(target.resolve(MODEL));
        Files.createSymbolicLink(model.resolve("1"), versionDir.toAbsolutePath());
        return target;
    }
}
