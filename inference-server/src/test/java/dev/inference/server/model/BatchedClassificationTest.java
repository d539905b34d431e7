package dev.inference.server.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inference.server.DjlOffline;
import dev.inference.server.batching.BatchObserver;
import dev.inference.server.batching.BatchWorker;
import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.batching.DynamicBatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real models behind the batcher: batching changes no label, and a batch of one text repeated
 * equals the unbatched answer exactly. The batcher's own behaviour is in DynamicBatcherTest.
 */
class BatchedClassificationTest {

    /**
     * The int8 models quantize activations with one scale per tensor, that is per batch: the other
     * texts of a batch (and their padding) shift the rounding of a text's activations, and its
     * probabilities move by a few hundredths. Labels of clear texts never change.
     */
    static final float MIXED_BATCH_TOLERANCE = 0.05f;

    static final List<String> TEXTS = List.of(
            "Great food.",
            "The waiter ignored us for most of the night and the bill was wrong.",
            "Wonderful!",
            "I would not recommend the fish, it tasted old and the chips were soggy and cold.",
            "Friendly staff, cozy room, excellent coffee and the best croissant in town.",
            "Meh.",
            "Terrible.",
            "We loved every dish and cannot wait to come back with friends next month.");

    private static TextClassifier classifier;

    @BeforeAll
    static void load() throws Exception {
        DjlOffline.enforce();
        classifier = TextClassifier.loadWithHead("sentiment", "1", Path.of("target/model-repository/sentiment/1"), 1);
    }

    @AfterAll
    static void release() {
        classifier.close();
    }

    @Test
    void batchOfOneTextRepeatedEqualsTheUnbatchedResultExactly() throws Exception {
        String text = TEXTS.get(1);
        float[] unbatched;
        try (BatchWorker<String, Classification> worker = classifier.newWorker()) {
            unbatched = worker.run(List.of(text)).get(0).probabilities();
        }
        try (DynamicBatcher<String, Classification> batcher = batcher(new BatchObserver<>() {})) {
            List<Classification> batched = batcher.submit(java.util.Collections.nCopies(16, text), () -> false)
                    .get(30, TimeUnit.SECONDS);

            for (Classification result : batched) {
                assertArrayEquals(unbatched, result.probabilities(), 0f);
            }
        }
    }

    @Test
    void mixedBatchKeepsEveryLabelAndOrderOfUnbatchedResults() throws Exception {
        List<Classification> unbatched = new ArrayList<>();
        try (BatchWorker<String, Classification> worker = classifier.newWorker()) {
            for (String text : TEXTS) {
                unbatched.add(worker.run(List.of(text)).get(0));
            }
        }
        List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        BatchObserver<Classification> observer = new BatchObserver<>() {
            @Override
            public void batchCompleted(List<? extends Classification> outputs, long runNanos) {
                batchSizes.add(outputs.size());
            }
        };
        try (DynamicBatcher<String, Classification> batcher = batcher(observer)) {
            List<Classification> batched = batcher.submit(TEXTS, () -> false).get(30, TimeUnit.SECONDS);

            assertEquals(List.of(TEXTS.size()), batchSizes, "all texts in one forward pass");
            for (int i = 0; i < TEXTS.size(); i++) {
                assertEquals(unbatched.get(i).labelIndex(), batched.get(i).labelIndex(), TEXTS.get(i));
                assertArrayEquals(unbatched.get(i).probabilities(), batched.get(i).probabilities(),
                        MIXED_BATCH_TOLERANCE, TEXTS.get(i));
            }
        }
    }

    private static DynamicBatcher<String, Classification> batcher(BatchObserver<Classification> observer) {
        // No padding bound: the test needs every text in one batch, whatever their lengths.
        return new DynamicBatcher<>(classifier.toString(), classifier, classifier::estimatedTokens,
                new BatchingSettings(1, 32, Duration.ZERO, 1024), observer).start();
    }
}
