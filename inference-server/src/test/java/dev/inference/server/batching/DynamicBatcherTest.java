package dev.inference.server.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The batcher over a fake model whose batches run only when the test lets them: batch
 * composition, order, splitting, the padding bound, the queue bound and dropping, exactly and
 * without timing. The real models behind it are tested in {@code BatchedClassificationTest}.
 */
class DynamicBatcherTest {

    private static final long WAIT_SECONDS = 30;

    @Test
    void requestLargerThanTheBatchIsSplitAndReassembledInOrder() throws Exception {
        GatedModel model = GatedModel.open();
        try (DynamicBatcher<String, String> batcher = batcher(model, 3, Double.POSITIVE_INFINITY, 1024)) {
            List<String> inputs = List.of("a", "b", "c", "d", "e", "f", "g", "h");

            assertEquals(List.of("A", "B", "C", "D", "E", "F", "G", "H"), await(batcher.submit(inputs, () -> false)));
            assertEquals(List.of(List.of("a", "b", "c"), List.of("d", "e", "f"), List.of("g", "h")), model.batches);
        }
    }

    @Test
    void requestsQueuedWhileTheWorkerIsBusyShareTheNextBatchInArrivalOrder() throws Exception {
        GatedModel model = new GatedModel();
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, Double.POSITIVE_INFINITY, 1024)) {
            CompletableFuture<List<String>> first = batcher.submit(List.of("a"), () -> false);
            model.awaitRunning(1);
            List<CompletableFuture<List<String>>> waiting = new ArrayList<>();
            for (String input : List.of("b", "c", "d", "e")) {
                waiting.add(batcher.submit(List.of(input), () -> false));
            }
            assertEquals(4, batcher.queueDepth());
            model.release(2);

            assertEquals(List.of("A"), await(first));
            for (int i = 0; i < waiting.size(); i++) {
                assertEquals(List.of(String.valueOf((char) ('B' + i))), await(waiting.get(i)));
            }
            assertEquals(List.of(List.of("a"), List.of("b", "c", "d", "e")), model.batches);
        }
    }

    @Test
    void aTextThatWouldPadTheBatchBeyondTheBoundWaitsForTheNextBatch() throws Exception {
        GatedModel model = new GatedModel();
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, 1.25, 1024)) {
            CompletableFuture<List<String>> blocker = batcher.submit(List.of("x"), () -> false);
            model.awaitRunning(1);
            String longText = "l".repeat(40);
            CompletableFuture<List<String>> twoLong = batcher.submit(List.of(longText, longText), () -> false);
            CompletableFuture<List<String>> mixed = batcher.submit(List.of("s", "s", longText), () -> false);
            CompletableFuture<List<String>> alsoShort = batcher.submit(List.of("t"), () -> false);
            model.release(10);
            await(blocker);

            assertEquals(List.of(longText.toUpperCase(Locale.ROOT), longText.toUpperCase(Locale.ROOT)), await(twoLong));
            assertEquals(List.of("S", "S", longText.toUpperCase(Locale.ROOT)), await(mixed), "split by padding, reassembled");
            assertEquals(List.of("T"), await(alsoShort));
            assertEquals(List.of(List.of("x"), List.of(longText, longText), List.of("s", "s"), List.of(longText),
                    List.of("t")), model.batches, "padded tokens never above 1.25 × real ones; arrival order kept");
        }
    }

    @Test
    void textsOfSimilarLengthStillFillABatch() throws Exception {
        GatedModel model = new GatedModel();
        try (DynamicBatcher<String, String> batcher = batcher(model, 4, 1.25, 1024)) {
            CompletableFuture<List<String>> blocker = batcher.submit(List.of("x"), () -> false);
            model.awaitRunning(1);
            CompletableFuture<List<String>> similar =
                    batcher.submit(List.of("abcdefghij", "abcdefghi", "abcdefgh", "abcdefghij", "abcdefghi"), () -> false);
            model.release(10);
            await(blocker);
            await(similar);

            assertEquals(List.of(1, 4, 1), model.batches.stream().map(List::size).toList());
        }
    }

    @Test
    void maxQueueDelayWaitsToFillABatch() throws Exception {
        GatedModel model = GatedModel.open();
        // A delay far longer than the test: the batch runs because it is full, not because the
        // window ended, so no timing of the test can split it.
        BatchingSettings waiting = new BatchingSettings(1, 3, Duration.ofSeconds(60), 1024);
        try (DynamicBatcher<String, String> batcher = new DynamicBatcher<>("fake", model, String::length, waiting,
                model).start()) {
            assertTrue(batcher.awaitWorkers(WAIT_SECONDS, TimeUnit.SECONDS));
            CompletableFuture<List<String>> first = batcher.submit(List.of("one"), () -> false);
            CompletableFuture<List<String>> second = batcher.submit(List.of("two", "three"), () -> false);
            await(first);
            await(second);

            assertEquals(List.of(List.of("one", "two", "three")), model.batches, "the worker waited for the second");
        }
    }

    @Test
    void theRequestsABatchFinishesCompleteInOneTaskPerExecutorOnThatExecutor() throws Exception {
        GatedModel model = new GatedModel();
        RecordingExecutor left = new RecordingExecutor("left");
        RecordingExecutor right = new RecordingExecutor("right");
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, Double.POSITIVE_INFINITY, 1024)) {
            CompletableFuture<List<String>> first = batcher.submit(List.of("a"), () -> false, left);
            model.awaitRunning(1);
            List<CompletableFuture<List<String>>> queued = List.of(
                    batcher.submit(List.of("b"), () -> false, left),
                    batcher.submit(List.of("c", "d"), () -> false, right),
                    batcher.submit(List.of("e"), () -> false, left),
                    batcher.submit(List.of("f"), () -> false, right));
            List<String> completedOn = new CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch completed = new java.util.concurrent.CountDownLatch(queued.size());
            queued.forEach(future -> future.thenRun(() -> {
                completedOn.add(Thread.currentThread().getName());
                completed.countDown();
            }));
            model.release(2);

            // Before anything joins the futures: a thread waiting in join() may run their callbacks itself.
            assertTrue(completed.await(WAIT_SECONDS, TimeUnit.SECONDS), "every queued request completed");
            assertEquals(List.of("A"), await(first));
            assertEquals(List.of(List.of("B"), List.of("C", "D"), List.of("E"), List.of("F")),
                    queued.stream().map(DynamicBatcherTest::awaitUnchecked).toList());
            assertEquals(List.of(List.of("a"), List.of("b", "c", "d", "e", "f")), model.batches);
            assertEquals(2, left.tasks.get(), "one task for the first batch, one for the second");
            assertEquals(1, right.tasks.get(), "the second batch's two requests on the right, in one task");
            assertEquals(List.of("left", "left", "right", "right"), completedOn.stream().sorted().toList());
        } finally {
            left.shutdown();
            right.shutdown();
        }
    }

    @Test
    void aRequestWhoseExecutorHasShutDownStillCompletes() throws Exception {
        ExecutorService gone = Executors.newSingleThreadExecutor();
        gone.shutdown();
        try (DynamicBatcher<String, String> batcher = batcher(GatedModel.open(), 8, Double.POSITIVE_INFINITY, 16)) {
            assertEquals(List.of("A"), await(batcher.submit(List.of("a"), () -> false, gone)));
        }
    }

    @Test
    void aRequestThatDoesNotFitTheQueueIsRejectedAtOnceAndLaterOnesAreServed() throws Exception {
        GatedModel model = new GatedModel();
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, Double.POSITIVE_INFINITY, 4)) {
            CompletableFuture<List<String>> running = batcher.submit(List.of("a"), () -> false);
            model.awaitRunning(1);
            CompletableFuture<List<String>> queued = batcher.submit(List.of("b", "c", "d"), () -> false);

            RejectedException rejected =
                    assertThrows(RejectedException.class, () -> batcher.submit(List.of("e", "f"), () -> false));
            assertEquals(RejectedException.Reason.QUEUE_FULL, rejected.reason());
            model.release(10);
            await(running);
            await(queued);
            assertEquals(List.of("G", "H", "I", "J"), await(batcher.submit(List.of("g", "h", "i", "j"), () -> false)));
        }
    }

    @Test
    void inputsWhoseCallerIsGoneAreDroppedWithoutRunningTheModel() throws Exception {
        GatedModel model = GatedModel.open();
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, Double.POSITIVE_INFINITY, 1024)) {
            CompletableFuture<List<String>> abandoned = batcher.submit(List.of("a", "b", "c"), () -> true);

            assertThrows(CancellationException.class, () -> abandoned.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertEquals(3, model.dropped.get());
            assertEquals(List.of(), model.batches, "no batch ran");
        }
    }

    @Test
    void aFailedBatchFailsItsRequestsAndTheWorkerServesTheNext() throws Exception {
        GatedModel model = GatedModel.open();
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, Double.POSITIVE_INFINITY, 1024)) {
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> batcher.submit(List.of("fail"), () -> false).get(WAIT_SECONDS, TimeUnit.SECONDS));

            assertEquals("the model failed", failure.getCause().getMessage());
            assertEquals(List.of("OK"), await(batcher.submit(List.of("ok"), () -> false)));
        }
    }

    @Test
    void aBatchThatFailsRunsAgainRequestByRequestSoOnlyTheRequestTheModelRejectsFails() throws Exception {
        GatedModel model = new GatedModel();
        try (DynamicBatcher<String, String> batcher = batcher(model, 8, Double.POSITIVE_INFINITY, 1024)) {
            CompletableFuture<List<String>> first = batcher.submit(List.of("a"), () -> false);
            model.awaitRunning(1);
            CompletableFuture<List<String>> before = batcher.submit(List.of("b", "c"), () -> false);
            CompletableFuture<List<String>> poisoned = batcher.submit(List.of("d", "fail"), () -> false);
            CompletableFuture<List<String>> after = batcher.submit(List.of("e"), () -> false);
            model.release(5);

            assertEquals(List.of("A"), await(first));
            assertEquals(List.of("B", "C"), await(before));
            assertEquals(List.of("E"), await(after));
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> poisoned.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertEquals("the model failed", failure.getCause().getMessage());
            assertEquals(List.of(List.of("a"), List.of("b", "c"), List.of("e")), model.batches,
                    "the shared batch (b, c, d, fail, e) failed; each request then ran alone");
        }
    }

    @Test
    void aModelWhoseWorkersCannotStartIsReported() throws Exception {
        BatchModel<String, String> broken = () -> {
            throw new IllegalStateException("no session");
        };
        try (DynamicBatcher<String, String> batcher = new DynamicBatcher<>("broken", broken, String::length,
                new BatchingSettings(2, 8, Duration.ZERO, 16), new BatchObserver<>() {}).start()) {
            assertFalse(batcher.awaitWorkers(WAIT_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Test
    void buildingStartsNoWorkerInputsQueueUntilStart() throws Exception {
        GatedModel model = GatedModel.open();
        try (DynamicBatcher<String, String> batcher = new DynamicBatcher<>("fake", model, String::length,
                new BatchingSettings(1, 8, Duration.ZERO, 16), model)) {
            assertFalse(batcher.awaitWorkers(0, TimeUnit.SECONDS), "no worker before start()");
            CompletableFuture<List<String>> queued = batcher.submit(List.of("early"), () -> false);
            assertFalse(queued.isDone());
            assertEquals(1, batcher.queueDepth());

            batcher.start();

            assertEquals(List.of("EARLY"), await(queued));
            assertTrue(batcher.awaitWorkers(WAIT_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Test
    void closedBatcherRefusesRequests() {
        DynamicBatcher<String, String> batcher = batcher(GatedModel.open(), 8, Double.POSITIVE_INFINITY, 16);
        batcher.close();

        RejectedException rejected =
                assertThrows(RejectedException.class, () -> batcher.submit(List.of("a"), () -> false));
        assertEquals(RejectedException.Reason.SHUTTING_DOWN, rejected.reason());
    }

    private static DynamicBatcher<String, String> batcher(GatedModel model, int maxBatch, double maxPadding,
            int capacity) {
        return new DynamicBatcher<>("fake", model, String::length,
                new BatchingSettings(1, maxBatch, Duration.ZERO, capacity, maxPadding), model).start();
    }

    private static List<String> await(CompletableFuture<List<String>> future) throws Exception {
        return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static List<String> awaitUnchecked(CompletableFuture<List<String>> future) {
        return future.orTimeout(WAIT_SECONDS, TimeUnit.SECONDS).join();
    }

    /** A single thread of a given name that counts the tasks it was given. */
    private static final class RecordingExecutor implements Executor {
        final AtomicInteger tasks = new AtomicInteger();
        private final ExecutorService thread;

        RecordingExecutor(String name) {
            thread = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, name));
        }

        @Override
        public void execute(Runnable task) {
            tasks.incrementAndGet();
            thread.execute(task);
        }

        void shutdown() {
            thread.shutdownNow();
        }
    }

    /**
     * Upper-cases its inputs, one batch per permit: a batch that starts holds its worker until the
     * test releases it, so what queues meanwhile is known exactly. "fail" makes a batch throw.
     */
    private static final class GatedModel implements BatchModel<String, String>, BatchObserver<String> {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final AtomicInteger dropped = new AtomicInteger();
        private final Semaphore permits = new Semaphore(0);
        private final Semaphore running = new Semaphore(0);

        static GatedModel open() {
            GatedModel model = new GatedModel();
            model.release(Integer.MAX_VALUE / 2);
            return model;
        }

        void release(int batchCount) {
            permits.release(batchCount);
        }

        /** Waits until {@code count} batches have started. */
        void awaitRunning(int count) throws InterruptedException {
            assertTrue(running.tryAcquire(count, WAIT_SECONDS, TimeUnit.SECONDS), "a batch started");
        }

        @Override
        public BatchWorker<String, String> newWorker() {
            return batch -> {
                running.release();
                assertTrue(permits.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS), "released by the test");
                if (batch.contains("fail")) {
                    throw new IllegalStateException("the model failed");
                }
                batches.add(List.copyOf(batch));
                return batch.stream().map(input -> input.toUpperCase(Locale.ROOT)).toList();
            };
        }

        @Override
        public void inputsDropped(int count) {
            dropped.addAndGet(count);
        }
    }

    /** A model that takes, per batch, what the test says a batch of that size costs; spinning, not sleeping, for precision. */
    private static final class CostedModel implements BatchModel<String, String> {
        private static final java.lang.management.ThreadMXBean THREAD_CPU =
                java.lang.management.ManagementFactory.getThreadMXBean();
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        volatile java.util.function.IntToLongFunction micros;

        CostedModel(java.util.function.IntToLongFunction micros) {
            this.micros = micros;
        }

        @Override
        public BatchWorker<String, String> newWorker() {
            // Spins for the set CPU time, which is what the batcher measures: a spin on wall time
            // would cost less CPU whenever a busy machine took the core away mid-pass.
            return batch -> {
                long end = THREAD_CPU.getCurrentThreadCpuTime() + micros.applyAsLong(batch.size()) * 1000;
                while (THREAD_CPU.getCurrentThreadCpuTime() < end) {
                    Thread.onSpinWait();
                }
                batchSizes.add(batch.size());
                return batch;
            };
        }
    }

    /**
     * Per text, batches cost half again a single's: never worth it. Milliseconds, not microseconds,
     * so that the test JVM's own JIT and GC threads on a small machine are noise, not signal.
     */
    private static final java.util.function.IntToLongFunction DEARER_TOGETHER = size -> size == 1 ? 2000 : 3000L * size;
    /** A batch costs a fixed 1.5 ms plus 0.25 ms per text: worth it from two texts on. */
    private static final java.util.function.IntToLongFunction CHEAPER_TOGETHER = size -> size == 1 ? 2000 : 1500 + 250L * size;

    /** A queue delay, so that a burst of eight is in the queue together whenever the worker frees up. */
    private static DynamicBatcher<String, String> learning(CostedModel model) {
        return learning(model, text -> 4);
    }

    private static DynamicBatcher<String, String> learning(CostedModel model, java.util.function.ToIntFunction<String> length) {
        return learning(model, length, Double.POSITIVE_INFINITY);
    }

    private static DynamicBatcher<String, String> learning(CostedModel model, java.util.function.ToIntFunction<String> length,
            double maxPadding) {
        return new DynamicBatcher<>("costed", model, length,
                new BatchingSettings(1, 8, Duration.ofMillis(20), 1024, maxPadding, true),
                new BatchObserver<>() {}).start();
    }

    private static final List<String> BURST = List.of("text 0", "text 1", "text 2", "text 3", "text 4", "text 5", "text 6", "text 7");

    /** Singles one after the other (what a quiet server runs), then bursts of eight texts in eight requests. */
    private static List<Integer> serve(DynamicBatcher<String, String> batcher, CostedModel model, int singles, int bursts)
            throws Exception {
        return serve(batcher, model, singles, bursts, BURST);
    }

    /** As above, with the given texts, one per request, in each burst; each request must get its own text back. */
    private static List<Integer> serve(DynamicBatcher<String, String> batcher, CostedModel model, int singles, int bursts,
            List<String> burst) throws Exception {
        for (int i = 0; i < singles; i++) {
            await(batcher.submit(List.of("single"), () -> false));
        }
        int before = model.batchSizes.size();
        for (int round = 0; round < bursts; round++) {
            List<CompletableFuture<List<String>>> calls = new ArrayList<>();
            for (String text : burst) {
                calls.add(batcher.submit(List.of(text), () -> false));
            }
            for (int i = 0; i < burst.size(); i++) {
                assertEquals(List.of(burst.get(i)), await(calls.get(i)));
            }
        }
        return List.copyOf(model.batchSizes.subList(before, model.batchSizes.size()));
    }

    @Test
    void aModelWhoseBatchesCostMorePerTextThanSinglesIsNotBatchedOnceMeasured() throws Exception {
        CostedModel model = new CostedModel(DEARER_TOGETHER);
        try (DynamicBatcher<String, String> batcher = learning(model)) {
            List<Integer> learning = serve(batcher, model, 5, 1);
            List<Integer> learned = serve(batcher, model, 0, 4);

            assertTrue(learning.stream().anyMatch(size -> size > 1), "the first burst is batched, and measured: " + learning);
            assertEquals(java.util.Collections.nCopies(32, 1), learned, "then every text runs alone");
        }
    }

    @Test
    void textsOfLengthsNeverRunAloneRunApartToBeMeasuredNotTogether() throws Exception {
        // The singles of the warm-up are four units long; the bursts' texts are 2 to 37 units,
        // in five length buckets whose singles nobody has measured. A batch must not win just
        // because what it is weighed against is unknown.
        CostedModel model = new CostedModel(DEARER_TOGETHER);
        try (DynamicBatcher<String, String> batcher = learning(model, text -> 2 + 5 * (text.hashCode() & 7))) {
            serve(batcher, model, 5, 3);
            List<Integer> learned = serve(batcher, model, 0, 4);

            assertEquals(java.util.Collections.nCopies(32, 1), learned, "every text runs alone once the singles are measured");
        }
    }

    @Test
    void aModelWhoseBatchesAreCheaperIsBatchedUpToTheLimit() throws Exception {
        CostedModel model = new CostedModel(CHEAPER_TOGETHER);
        try (DynamicBatcher<String, String> batcher = learning(model)) {
            serve(batcher, model, 5, 2);
            List<Integer> learned = serve(batcher, model, 0, 6);

            assertEquals(java.util.Collections.nCopies(6, 8), learned, "every burst of eight runs as one batch of eight");
        }
    }

    @Test
    void aLongTextThatArrivesAmongShortOnesRunsOnItsOwnAndTheShortOnesTogether() throws Exception {
        // In arrival order the long text would close a batch of three short ones and open one of
        // four; sorted by length, the seven short ones share one pass under the padding bound.
        CostedModel model = new CostedModel(CHEAPER_TOGETHER);
        List<String> burst = List.of("text 0", "text 1", "text 2", "long text", "text 4", "text 5", "text 6", "text 7");
        try (DynamicBatcher<String, String> batcher = learning(model, text -> text.startsWith("long") ? 40 : 4, 1.25)) {
            serve(batcher, model, 5, 2, burst);
            List<Integer> learned = serve(batcher, model, 0, 4, burst);

            assertEquals(List.of(7, 1, 7, 1, 7, 1, 7, 1), learned, "the short texts in one batch, then the long one alone");
        }
    }

    @Test
    void singlesThatBecomeCheaperWhileOnlyBatchesRunAreMeasuredAgainAndTheBatcherStopsBatching() throws Exception {
        CostedModel model = new CostedModel(CHEAPER_TOGETHER);
        try (DynamicBatcher<String, String> batcher = learning(model)) {
            serve(batcher, model, 5, 2);
            assertTrue(serve(batcher, model, 0, 2).contains(8), "batched while batches are cheaper");

            // A single now costs a tenth of a batch of eight: apart is cheaper by three quarters.
            // Only batches run, one pass per burst, so only an exploration can tell: one per
            // BatchCosts.EXPLORE_EVERY passes, the last perhaps taken while learning.
            model.micros = size -> size == 1 ? 100 : 1500 + 250L * size;
            serve(batcher, model, 0, BatchCosts.EXPLORE_EVERY + 8);
            List<Integer> after = serve(batcher, model, 0, 4);

            assertTrue(after.stream().filter(size -> size > 1).count() <= 1,
                    "every text runs alone but for at most one exploration in 32 passes: " + after);
        }
    }

    @Test
    void aBatchThatSavesLessThanTheRequiredMarginRunsApart() throws Exception {
        // One percent cheaper per text together: less than a pass's own variation, so not worth its padding and wait.
        // Passes of 20 ms, so that the batcher's own first, interpreted passes (tens of microseconds)
        // are far below the 2% between the saving and the margin.
        CostedModel model = new CostedModel(size -> size == 1 ? 20_000 : 19_800L * size);
        try (DynamicBatcher<String, String> batcher = learning(model)) {
            List<Integer> learning = serve(batcher, model, 5, 1);
            List<Integer> learned = serve(batcher, model, 0, 4);

            assertEquals(List.of(8), learning, "the first burst is batched, and measured");
            assertEquals(java.util.Collections.nCopies(32, 1), learned, "then every text runs alone");
        }
    }

    @Test
    void aChangeInCostWhileServingChangesTheDecisions() throws Exception {
        CostedModel model = new CostedModel(CHEAPER_TOGETHER);
        try (DynamicBatcher<String, String> batcher = learning(model)) {
            serve(batcher, model, 5, 4);
            assertTrue(serve(batcher, model, 0, 2).contains(8), "batched while batches are cheaper");

            // Three times a single's cost per text now: clearly dearer, so that the decision does
            // not sit on the edge where a noisy measurement tips it.
            model.micros = size -> size == 1 ? 2000 : 6000L * size;
            serve(batcher, model, 0, 6);
            List<Integer> after = serve(batcher, model, 0, 4);

            assertEquals(java.util.Collections.nCopies(32, 1), after,
                    "once batches were measured dearer, every text runs alone");
        }
    }
}
