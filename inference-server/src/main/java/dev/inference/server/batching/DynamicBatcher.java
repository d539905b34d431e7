package dev.inference.server.batching;

import dev.inference.server.model.Classification;
import dev.inference.server.model.TextClassifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups the texts of concurrent requests into batches for one model version, in the manner of
 * Triton's dynamic batcher.
 *
 * <p>Each request is split into its texts, so one request may span several batches and one batch
 * may serve several requests; results are reassembled in request order. The queue is bounded in
 * texts: a request that does not fit is rejected at once, never parked. A text whose caller has
 * gone (deadline passed, cancelled) is dropped when a worker takes it, without running the model.
 */
public final class DynamicBatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DynamicBatcher.class);
    private static final List<List<String>> WARM_UP_BATCHES = List.of(
            List.of("warm up"),
            List.of("The first call to a fresh session allocates its buffers.", "short", "a third text"));

    private final TextClassifier classifier;
    private final BatchingSettings settings;
    private final BatchObserver observer;
    /**
     * Whole requests, not single texts, so that a free worker takes a request entire: two workers
     * racing for the texts of one request would split it into two batches for nothing.
     */
    private final LinkedBlockingDeque<Chunk> queue = new LinkedBlockingDeque<>();
    private final AtomicInteger queuedTexts = new AtomicInteger();
    private final Semaphore capacity;
    private final List<Thread> workers = new ArrayList<>();
    private final CountDownLatch warmedUp;
    private volatile boolean closed;

    public DynamicBatcher(TextClassifier classifier, BatchingSettings settings, BatchObserver observer) {
        this.classifier = classifier;
        this.settings = settings;
        this.observer = observer;
        this.capacity = new Semaphore(settings.queueCapacity());
        this.warmedUp = new CountDownLatch(settings.workers());
        for (int i = 0; i < settings.workers(); i++) {
            Thread worker = new Thread(this::runWorker, "batcher-" + classifier + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    /**
     * Queues the texts of one request.
     *
     * @param callerGone true once nobody waits for the result any more; checked before each text runs
     * @return the classifications, one per text, in order; fails with {@link CancellationException}
     *     when the caller went away and with the model's exception when a forward pass failed
     * @throws RejectedException when the queue has no room for all texts or the batcher is closing
     */
    public CompletableFuture<List<Classification>> submit(List<String> texts, BooleanSupplier callerGone) {
        if (closed) {
            throw new RejectedException(RejectedException.Reason.SHUTTING_DOWN, classifier + " is shutting down");
        }
        if (!capacity.tryAcquire(texts.size())) {
            throw new RejectedException(RejectedException.Reason.QUEUE_FULL, "the queue of " + classifier
                    + " is full (" + settings.queueCapacity() + " texts waiting); retry with backoff");
        }
        PendingRequest request = new PendingRequest(texts.size(), callerGone);
        queuedTexts.addAndGet(texts.size());
        queue.add(new Chunk(request, 0, List.copyOf(texts), System.nanoTime()));
        return request.future;
    }

    /** Texts waiting for a worker. */
    public int queueDepth() {
        return queuedTexts.get();
    }

    public BatchingSettings settings() {
        return settings;
    }

    /** Waits until every worker has run its first forward passes. */
    public boolean awaitWarmUp(long timeout, TimeUnit unit) throws InterruptedException {
        return warmedUp.await(timeout, unit);
    }

    private void runWorker() {
        try (TextClassifier.Worker worker = classifier.newWorker()) {
            warmUp(worker);
            List<QueuedText> batch = new ArrayList<>(settings.maxBatchSize());
            while (true) {
                Chunk first = queue.takeFirst();
                long oldestNanos = first.enqueuedNanos;
                take(first, batch);
                fill(batch, oldestNanos);
                run(worker, withoutAbandoned(batch));
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("worker of {} died", classifier, e);
        }
    }

    private void warmUp(TextClassifier.Worker worker) {
        try {
            for (List<String> texts : WARM_UP_BATCHES) {
                worker.classify(texts);
            }
        } catch (Exception e) {
            log.error("warm-up of {} failed", classifier, e);
        } finally {
            warmedUp.countDown();
        }
    }

    /** Adds queued requests up to the batch size, waiting at most the queue delay since the oldest. */
    private void fill(List<QueuedText> batch, long oldestNanos) throws InterruptedException {
        long deadline = oldestNanos + settings.maxQueueDelay().toNanos();
        while (batch.size() < settings.maxBatchSize()) {
            Chunk next = queue.pollFirst();
            if (next == null) {
                long wait = deadline - System.nanoTime();
                next = wait > 0 ? queue.pollFirst(wait, TimeUnit.NANOSECONDS) : null;
                if (next == null) {
                    return;
                }
            }
            take(next, batch);
        }
    }

    /** Moves as many texts of the chunk as fit into the batch; the rest goes back to the queue's head. */
    private void take(Chunk chunk, List<QueuedText> batch) {
        int room = settings.maxBatchSize() - batch.size();
        int taken = Math.min(room, chunk.texts.size());
        if (taken < chunk.texts.size()) {
            queue.addFirst(chunk.rest(taken));
        }
        for (int i = 0; i < taken; i++) {
            batch.add(new QueuedText(chunk.request, chunk.offset + i, chunk.texts.get(i)));
        }
        queuedTexts.addAndGet(-taken);
        capacity.release(taken);
    }

    private List<QueuedText> withoutAbandoned(List<QueuedText> batch) {
        List<QueuedText> live = new ArrayList<>(batch.size());
        List<QueuedText> abandoned = new ArrayList<>(0);
        for (QueuedText text : batch) {
            (text.request.callerGone.getAsBoolean() ? abandoned : live).add(text);
        }
        if (!abandoned.isEmpty()) {
            observer.textsDropped(abandoned.size());
            for (QueuedText text : abandoned) {
                text.request.future.completeExceptionally(new CancellationException("caller gone"));
            }
        }
        return live;
    }

    private void run(TextClassifier.Worker worker, List<QueuedText> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<String> texts = new ArrayList<>(batch.size());
        for (QueuedText text : batch) {
            texts.add(text.text);
        }
        List<Classification> results;
        long start = System.nanoTime();
        try {
            results = worker.classify(texts);
        } catch (Exception e) {
            log.error("forward pass of {} over {} texts failed", classifier, texts.size(), e);
            for (QueuedText text : batch) {
                text.request.future.completeExceptionally(e);
            }
            return;
        }
        observer.batchCompleted(results, System.nanoTime() - start);
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).complete(results.get(i));
        }
    }

    /**
     * Stops taking requests, lets the workers finish what is queued (up to the timeout), then
     * stops them. Requests still queued after the timeout fail.
     */
    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!queue.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        workers.forEach(Thread::interrupt);
        for (Thread worker : workers) {
            try {
                worker.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Chunk left;
        while ((left = queue.poll()) != null) {
            left.request.future.completeExceptionally(
                    new RejectedException(RejectedException.Reason.SHUTTING_DOWN, classifier + " shut down"));
        }
    }

    private static final class PendingRequest {
        final Classification[] results;
        final AtomicInteger remaining;
        final BooleanSupplier callerGone;
        final CompletableFuture<List<Classification>> future = new CompletableFuture<>();

        PendingRequest(int size, BooleanSupplier callerGone) {
            this.results = new Classification[size];
            this.remaining = new AtomicInteger(size);
            this.callerGone = callerGone;
        }
    }

    /** The texts of one request not yet taken, from {@code offset} on. */
    private record Chunk(PendingRequest request, int offset, List<String> texts, long enqueuedNanos) {

        Chunk rest(int taken) {
            return new Chunk(request, offset + taken, texts.subList(taken, texts.size()), enqueuedNanos);
        }
    }

    private record QueuedText(PendingRequest request, int index, String text) {

        void complete(Classification result) {
            request.results[index] = result;
            if (request.remaining.decrementAndGet() == 0) {
                request.future.complete(Arrays.asList(request.results));
            }
        }
    }
}
