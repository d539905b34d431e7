package dev.inference.server.batching;

import dev.inference.server.model.Classification;
import java.util.List;

/** What a {@link DynamicBatcher} reports about its work, for metrics. */
public interface BatchObserver {

    BatchObserver NONE = new BatchObserver() {};

    /** One forward pass ran over {@code results.size()} texts in {@code forwardNanos}. */
    default void batchCompleted(List<Classification> results, long forwardNanos) {}

    /** Texts were taken off the queue but not run because their caller had gone. */
    default void textsDropped(int count) {}
}
