package dev.inference.server.batching;

import dev.inference.server.model.Classification;
import dev.inference.server.model.TextClassifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
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
    private final BlockingQueue<QueuedText> queue = new LinkedBlockingQueue<>();
    private final Semaphore capacity;
    /** Makes a request's texts appear in the queue together, so a worker never takes half a request. */
    private final Object enqueueLock = new Object();
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
        long now = System.nanoTime();
        synchronized (enqueueLock) {
            for (int i = 0; i < texts.size(); i++) {
                queue.add(new QueuedText(request, i, texts.get(i), now));
            }
        }
        return request.future;
    }

    /** Texts waiting for a worker. */
    public int queueDepth() {
        return queue.size();
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
                batch.add(queue.take());
                fill(batch);
                capacity.release(batch.size());
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

    /** Adds queued texts up to the batch size, waiting at most the queue delay since the first. */
    private void fill(List<QueuedText> batch) throws InterruptedException {
        drainQueued(batch);
        long deadline = batch.get(0).enqueuedNanos + settings.maxQueueDelay().toNanos();
        while (batch.size() < settings.maxBatchSize()) {
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                return;
            }
            QueuedText next = queue.poll(wait, TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
            drainQueued(batch);
        }
    }

    private void drainQueued(List<QueuedText> batch) {
        synchronized (enqueueLock) {
            queue.drainTo(batch, settings.maxBatchSize() - batch.size());
        }
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
        QueuedText left;
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

    private record QueuedText(PendingRequest request, int index, String text, long enqueuedNanos) {

        void complete(Classification result) {
            request.results[index] = result;
            if (request.remaining.decrementAndGet() == 0) {
                request.future.complete(Arrays.asList(request.results));
            }
        }
    }
}
