package dev.inference.api;

/**
 * The tensors under which text models meet the Open Inference Protocol: what the server gives and
 * takes, and what the gateway compares in a shadow.
 */
public final class TextTensors {

    /** The texts: BYTES [N] or [N, 1], UTF-8. */
    public static final String INPUT = "text";
    /** A classifier's most probable label per text: BYTES [N]. */
    public static final String LABEL_OUTPUT = "label";
    /** A classifier's probability of every label: FP32 [N, labels]. */
    public static final String PROBABILITIES_OUTPUT = "probabilities";
    /** The column order of {@link #PROBABILITIES_OUTPUT}, as a JSON array in a string parameter. */
    public static final String LABELS_PARAMETER = "labels";
    /** An embedding model's vector per text: FP32 [N, dimension]. */
    public static final String EMBEDDING_OUTPUT = "embedding";

    private TextTensors() {}
}
