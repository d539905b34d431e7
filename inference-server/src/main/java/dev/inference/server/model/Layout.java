package dev.inference.server.model;

/** The kinds of version folder the server reads, each named by the files that make it ({@link ModelRepository#layoutOf}). */
public enum Layout {
    /** An encoder, its tokenizer, the platform's {@code config.json} and a trained {@code head.json}. */
    CLASSIFIER_WITH_HEAD(Task.TEXT_CLASSIFICATION),
    /** Optimum's text-classification export: a graph giving {@code logits}, Hugging Face's {@code config.json}, tokenizer files. */
    CLASSIFICATION_EXPORT(Task.TEXT_CLASSIFICATION),
    /** A sentence-transformers export: {@code modules.json}, its Pooling (and Normalize) modules, tokenizer files. */
    SENTENCE_TRANSFORMERS(Task.TEXT_EMBEDDING),
    /** An ONNX graph alone, served as the tensors it declares. */
    TENSOR(Task.TENSOR);

    private final Task task;

    Layout(Task task) {
        this.task = task;
    }

    public Task task() {
        return task;
    }
}
