package dev.inference.server.batching;

import java.util.List;

/** What a {@link DynamicBatcher} reports about its work, for metrics. */
public interface BatchObserver<O> {

    /** One batch ran over {@code outputs.size()} inputs in {@code runNanos}. */
    default void batchCompleted(List<? extends O> outputs, long runNanos) {}

    /** Inputs were taken off the queue but not run because their caller had gone. */
    default void inputsDropped(int count) {}
}
