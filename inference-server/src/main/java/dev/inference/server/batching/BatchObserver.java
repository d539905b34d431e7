package dev.inference.server.batching;

import java.util.List;

/** What a {@link DynamicBatcher} reports about its work, for metrics. */
public interface BatchObserver<O> {

    /** One batch ran over {@code outputs.size()} inputs in {@code runNanos}. */
    default void batchCompleted(List<? extends O> outputs, long runNanos) {}

    /** Inputs were taken off the queue but not run because their caller had gone. */
    default void inputsDropped(int count) {}

    /**
     * A pass the batcher had a cost prediction for ran: what it predicted and what it took, in
     * nanoseconds of the worker thread's CPU time, over {@code inputs} inputs.
     */
    default void batchCost(int inputs, double predictedNanos, long observedNanos) {}

    /**
     * {@code inputs} inputs were turned away from a batch they could have joined, for {@code
     * reason}: one that did not join, or all but the first of a batch run apart.
     */
    default void batchSplit(SplitReason reason, int inputs) {}

    /** Why an input did not join the batch being formed, or a batch ran apart, as the metrics name it. */
    enum SplitReason {
        /** The measured costs predict that running it apart is cheaper, or that together saves too little. */
        COST,
        /** Padding it (or the batch) to the longest would break {@code --max-padding-ratio}. */
        PADDING,
        /** Its shape differs (a tensor model's rows of other shapes). */
        SHAPE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
