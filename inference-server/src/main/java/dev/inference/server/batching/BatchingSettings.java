package dev.inference.server.batching;

import java.time.Duration;

/**
 * How a {@link DynamicBatcher} forms batches.
 *
 * @param workers threads running the model, each with its own predictor
 * @param maxBatchSize the most texts in one forward pass
 * @param maxQueueDelay how long a worker holding fewer than {@code maxBatchSize} texts waits for
 *     more before it runs; zero runs at once with whatever is queued, so batches grow only while
 *     every worker is busy
 * @param queueCapacity the most texts waiting; beyond it requests are rejected at once
 * @param maxPaddingRatio the most padded tokens a batch may run per real token: every text of a
 *     batch is padded to its longest, so a short text joins a long one's batch only while the
 *     padding stays within this bound; {@code Double.POSITIVE_INFINITY} batches regardless of length
 * @param learnCosts whether a batch runs together only while its measured cost predicts that
 *     running its inputs together saves enough over running them apart ({@link BatchCosts}); the
 *     padding bound still applies as an upper bound
 */
public record BatchingSettings(int workers, int maxBatchSize, Duration maxQueueDelay, int queueCapacity,
        double maxPaddingRatio, boolean learnCosts) {

    /** Settings that batch by count and padding bound alone. */
    public BatchingSettings(int workers, int maxBatchSize, Duration maxQueueDelay, int queueCapacity,
            double maxPaddingRatio) {
        this(workers, maxBatchSize, maxQueueDelay, queueCapacity, maxPaddingRatio, false);
    }

    /** Settings without a bound on padding, batching by count alone. */
    public BatchingSettings(int workers, int maxBatchSize, Duration maxQueueDelay, int queueCapacity) {
        this(workers, maxBatchSize, maxQueueDelay, queueCapacity, Double.POSITIVE_INFINITY);
    }

    /** These settings with at most {@code most} texts per batch. */
    public BatchingSettings capBatchSize(int most) {
        return most >= maxBatchSize ? this
                : new BatchingSettings(workers, most, maxQueueDelay, queueCapacity, maxPaddingRatio, learnCosts);
    }

    /** These settings with {@code count} workers. */
    public BatchingSettings withWorkers(int count) {
        return new BatchingSettings(count, maxBatchSize, maxQueueDelay, queueCapacity, maxPaddingRatio, learnCosts);
    }

    public BatchingSettings {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, was " + workers);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be at least 1, was " + maxBatchSize);
        }
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("max queue delay must not be negative, was " + maxQueueDelay);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queue capacity must be at least 1, was " + queueCapacity);
        }
        if (!(maxPaddingRatio >= 1)) {
            throw new IllegalArgumentException("max padding ratio must be at least 1, was " + maxPaddingRatio);
        }
    }
}
