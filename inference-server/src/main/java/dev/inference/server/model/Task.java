package dev.inference.server.model;

/** What a model version does, as its folder's files say; the APIs serve each task their own way. */
public enum Task {
    /** Texts in, a label and a probability per label out: {@code inference.v1} Predict and the Open Inference Protocol. */
    TEXT_CLASSIFICATION("text-classification"),
    /** Texts in, one sentence vector per text out: {@code inference.v1} Embed, the Open Inference Protocol. */
    TEXT_EMBEDDING("text-embedding"),
    /** Tensors in, tensors out, as the ONNX graph declares them: the Open Inference Protocol. */
    TENSOR("tensor");

    private final String id;

    Task(String id) {
        this.id = id;
    }

    /** The name the APIs report, as in {@code GetModel}'s {@code task}. */
    public String id() {
        return id;
    }
}
