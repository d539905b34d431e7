package dev.inference.server.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.server.DjlOffline;
import dev.inference.server.model.Classification;
import dev.inference.server.model.TextClassifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DynamicBatcherTest {

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
        classifier = TextClassifier.load("sentiment", "1", Path.of("target/model-repository/sentiment/1"), 1);
    }

    @AfterAll
    static void release() {
        classifier.close();
    }

    @Test
    void batchOfOneTextRepeatedEqualsTheUnbatchedResultExactly() throws Exception {
        String text = TEXTS.get(1);
        float[] unbatched;
        try (TextClassifier.Worker worker = classifier.newWorker()) {
            unbatched = worker.classify(List.of(text)).get(0).probabilities();
        }
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 32, 1024), BatchObserver.NONE)) {
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
        try (TextClassifier.Worker worker = classifier.newWorker()) {
            for (String text : TEXTS) {
                unbatched.add(worker.classify(List.of(text)).get(0));
            }
        }
        RecordingObserver observer = new RecordingObserver();
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 32, 1024), observer)) {
            List<Classification> batched = batcher.submit(TEXTS, () -> false).get(30, TimeUnit.SECONDS);

            assertEquals(List.of(TEXTS.size()), observer.batchSizes, "all texts in one forward pass");
            for (int i = 0; i < TEXTS.size(); i++) {
                assertEquals(unbatched.get(i).labelIndex(), batched.get(i).labelIndex(), TEXTS.get(i));
                assertArrayEquals(unbatched.get(i).probabilities(), batched.get(i).probabilities(),
                        MIXED_BATCH_TOLERANCE, TEXTS.get(i));
            }
        }
    }

    @Test
    void requestLargerThanTheBatchIsSplitAndReassembledInOrder() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 3, 1024), observer)) {
            List<Classification> whole = batcher.submit(TEXTS, () -> false).get(30, TimeUnit.SECONDS);
            List<Classification> firstOnly = batcher.submit(TEXTS.subList(0, 3), () -> false).get(30, TimeUnit.SECONDS);

            assertEquals(List.of(3, 3, 2, 3), observer.batchSizes);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(firstOnly.get(i).probabilities(), whole.get(i).probabilities(), 1e-6f);
            }
        }
    }

    @Test
    void concurrentRequestsShareBatchesWhileTheWorkerIsBusy() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 32, 1024), observer)) {
            List<CompletableFuture<List<Classification>>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                futures.add(batcher.submit(List.of(TEXTS.get(i % TEXTS.size())), () -> false));
            }
            for (CompletableFuture<List<Classification>> future : futures) {
                assertEquals(1, future.get(30, TimeUnit.SECONDS).size());
            }
            assertTrue(observer.batchSizes.stream().anyMatch(size -> size > 1), "batches: " + observer.batchSizes);
            assertEquals(40, observer.batchSizes.stream().mapToInt(Integer::intValue).sum());
        }
    }

    @Test
    void maxQueueDelayWaitsToFillABatch() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        // A delay far longer than the test: the batch runs because it is full (3 texts), not
        // because the window ended, so no timing of the test can split it.
        BatchingSettings waiting = new BatchingSettings(1, 3, Duration.ofSeconds(60), 1024);
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, waiting, observer)) {
            batcher.awaitWarmUp(30, TimeUnit.SECONDS);
            CompletableFuture<List<Classification>> first = batcher.submit(List.of("one"), () -> false);
            CompletableFuture<List<Classification>> second = batcher.submit(List.of("two", "three"), () -> false);
            first.get(30, TimeUnit.SECONDS);
            second.get(30, TimeUnit.SECONDS);

            assertEquals(List.of(3), observer.batchSizes, "the worker waited for the second request");
        }
    }

    @Test
    void requestThatDoesNotFitTheQueueIsRejectedAtOnce() {
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 32, 4), BatchObserver.NONE)) {
            RejectedException rejected =
                    assertThrows(RejectedException.class, () -> batcher.submit(TEXTS, () -> false));

            assertEquals(RejectedException.Reason.QUEUE_FULL, rejected.reason());
        }
    }

    @Test
    void textsWhoseCallerIsGoneAreDroppedWithoutRunningTheModel() throws Exception {
        RecordingObserver observer = new RecordingObserver();
        try (DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 32, 1024), observer)) {
            CompletableFuture<List<Classification>> abandoned = batcher.submit(TEXTS, () -> true);

            assertThrows(CancellationException.class, () -> abandoned.get(30, TimeUnit.SECONDS));
            assertEquals(TEXTS.size(), observer.dropped.get());
            assertEquals(List.of(), observer.batchSizes, "no forward pass ran");
        }
    }

    @Test
    void closedBatcherRefusesRequests() {
        DynamicBatcher batcher = new DynamicBatcher(classifier, settings(1, 32, 1024), BatchObserver.NONE);
        batcher.close();

        RejectedException rejected = assertThrows(RejectedException.class, () -> batcher.submit(TEXTS, () -> false));
        assertEquals(RejectedException.Reason.SHUTTING_DOWN, rejected.reason());
    }

    private static BatchingSettings settings(int workers, int maxBatch, int capacity) {
        return new BatchingSettings(workers, maxBatch, Duration.ZERO, capacity);
    }

    private static final class RecordingObserver implements BatchObserver {
        final List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger dropped = new AtomicInteger();

        @Override
        public void batchCompleted(List<Classification> results, long forwardNanos) {
            batchSizes.add(results.size());
        }

        @Override
        public void textsDropped(int count) {
            dropped.addAndGet(count);
        }
    }
}
