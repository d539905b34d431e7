package dev.inference.server.batching;

import com.google.common.util.concurrent.MoreExecutors;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups the inputs of concurrent requests into batches for one model version, in the manner of
 * Triton's dynamic batcher.
 *
 * <p>Each request is split into its inputs, so one request may span several batches and one batch
 * may serve several requests; outputs are reassembled in request order. The queue is bounded in
 * inputs: a request that does not fit is rejected at once, never parked. An input whose caller has
 * gone (deadline passed, cancelled) is dropped when a worker takes it, without running the model.
 *
 * <p>With {@link BatchingSettings#learnCosts()}, a worker takes up to a full batch off the queue
 * whatever the lengths, sorts it by length and cuts it where the padding bound would break, so that
 * texts of like length share a pass; each group then runs together only when the version's
 * measured costs ({@link BatchCosts}) predict that it saves enough over running its inputs one by
 * one, and otherwise runs them one by one; where a prediction is unknown or stale it runs
 * together, and the pass measures it.
 *
 * <p>A batch that fails over the inputs of several requests runs again one request at a time, so
 * that a request whose inputs the model rejects fails alone and the others are answered.
 *
 * <p>A request completes on the executor it was submitted with, and all the requests one batch
 * finishes on the same executor complete in one task there: a transport's event loop that sends
 * the answers is woken once per batch, not once per call.
 *
 * <p>Inputs are padded to the longest of their batch, so a batch also stays within
 * {@link BatchingSettings#maxPaddingRatio()}: the next input in line that would make the batch's
 * padded length ({@code longest × count}) exceed the bound times its real length closes the batch
 * and waits at the head of the queue for the next one. Batches stay in arrival order (without
 * learning; with it, the inputs of one batch taken run in order of length).
 *
 * @param <I> one input, such as a text
 * @param <O> the model's output for one input
 */
public final class DynamicBatcher<I, O> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DynamicBatcher.class);
    /**
     * The share of running apart that a batch must be predicted to save before it runs together
     * (with {@link BatchingSettings#learnCosts()}): a batch predicted to save less than a pass's
     * variation from one pass to the next buys only its padding and its wait.
     */
    static final double REQUIRED_SAVING = 0.03;
    /**
     * A pass's cost is the worker thread's CPU time, not the time on the wall clock: where the
     * server shares its cores with its own transport threads, a pass's wall time grows with
     * whatever else ran meanwhile, and the longer a pass, the more it catches. ONNX Runtime runs a
     * pass on the calling thread when it has one intra-op thread (the default); with more, only the
     * calling thread's share is counted, for singles and batches alike.
     */
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final String name;
    private final BatchModel<I, O> model;
    private final ToIntFunction<? super I> length;
    private final Function<? super I, ?> batchKey;
    private final BatchingSettings settings;
    private final BatchObserver<? super O> observer;
    /**
     * Whole requests, not single texts, so that a free worker takes a request entire: two workers
     * racing for the texts of one request would split it into two batches for nothing.
     */
    private final LinkedBlockingDeque<Chunk<I, O>> queue = new LinkedBlockingDeque<>();
    private final AtomicInteger queuedTexts = new AtomicInteger();
    private final AtomicInteger busyWorkers = new AtomicInteger();
    private final Semaphore capacity;
    private final BatchCosts costs;
    private final List<Thread> workers = new ArrayList<>();
    private final CountDownLatch started;
    private final AtomicInteger failedToStart = new AtomicInteger();
    private volatile boolean closed;

    /**
     * A batcher whose inputs may all share a batch, padding bound permitting.
     *
     * @see #DynamicBatcher(String, BatchModel, ToIntFunction, Function, BatchingSettings, BatchObserver)
     */
    public DynamicBatcher(String name, BatchModel<I, O> model, ToIntFunction<? super I> length,
            BatchingSettings settings, BatchObserver<? super O> observer) {
        this(name, model, length, input -> null, settings, observer);
    }

    /**
     * Builds the batcher; {@link #start()} starts its workers.
     *
     * @param name what the logs and errors call this batcher, such as {@code sentiment/2}
     * @param length an input's length in the units the model pads (tokens, or an estimate of them)
     * @param batchKey inputs whose keys differ never share a batch (a tensor model's rows of other
     *     shapes): the first that differs closes the batch and waits at the head of the queue
     */
    public DynamicBatcher(String name, BatchModel<I, O> model, ToIntFunction<? super I> length,
            Function<? super I, ?> batchKey, BatchingSettings settings, BatchObserver<? super O> observer) {
        this.name = Objects.requireNonNull(name);
        this.model = Objects.requireNonNull(model);
        this.length = Objects.requireNonNull(length);
        this.batchKey = Objects.requireNonNull(batchKey);
        this.settings = Objects.requireNonNull(settings);
        this.observer = Objects.requireNonNull(observer);
        this.capacity = new Semaphore(settings.queueCapacity());
        this.costs = new BatchCosts(settings.maxBatchSize());
        this.started = new CountDownLatch(settings.workers());
        for (int i = 0; i < settings.workers(); i++) {
            Thread worker = new Thread(this::runWorker, "batcher-" + name + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
        }
    }

    /**
     * Starts the workers, each asking the model for its own {@link BatchWorker}; {@link
     * #awaitWorkers} tells when they are ready. Until then, inputs queue.
     *
     * @return this batcher
     */
    public synchronized DynamicBatcher<I, O> start() {
        if (workers.get(0).getState() == Thread.State.NEW && !closed) {
            workers.forEach(Thread::start);
        }
        return this;
    }

    /** As {@link #submit(List, BooleanSupplier, Executor)}, completing on the worker's thread. */
    public CompletableFuture<List<O>> submit(List<I> inputs, BooleanSupplier callerGone) {
        return submit(inputs, callerGone, MoreExecutors.directExecutor());
    }

    /**
     * Queues the inputs of one request.
     *
     * @param callerGone true once nobody waits for the result any more; checked before each input runs
     * @param completions where the returned future completes, such as the event loop that will send the answer
     * @return the outputs, one per input, in order; fails with {@link CancellationException}
     *     when the caller went away and with the model's exception when a batch failed
     * @throws RejectedException when the queue has no room for all inputs or the batcher is closing
     */
    public CompletableFuture<List<O>> submit(List<I> inputs, BooleanSupplier callerGone, Executor completions) {
        if (closed) {
            throw new RejectedException(RejectedException.Reason.SHUTTING_DOWN, name + " is shutting down");
        }
        if (!capacity.tryAcquire(inputs.size())) {
            throw new RejectedException(RejectedException.Reason.QUEUE_FULL, "the queue of " + name
                    + " is full (" + settings.queueCapacity() + " texts waiting); retry with backoff");
        }
        PendingRequest<O> request = new PendingRequest<>(inputs.size(), callerGone, completions);
        queuedTexts.addAndGet(inputs.size());
        queue.add(new Chunk<>(request, 0, List.copyOf(inputs), System.nanoTime()));
        return request.future;
    }

    /** Inputs waiting for a worker. */
    public int queueDepth() {
        return queuedTexts.get();
    }

    public BatchingSettings settings() {
        return settings;
    }

    /**
     * Waits until nothing is queued and no batch is running, polling: for start-up, not for the
     * request path.
     *
     * @return false when the time ran out first
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (queuedTexts.get() > 0 || busyWorkers.get() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /**
     * Waits until every worker is ready to serve ({@link BatchModel#newWorker()} has returned).
     *
     * @return false when the time ran out or a worker could not be created
     */
    public boolean awaitWorkers(long timeout, TimeUnit unit) throws InterruptedException {
        return started.await(timeout, unit) && failedToStart.get() == 0;
    }

    private void runWorker() {
        BatchWorker<I, O> worker;
        try {
            worker = model.newWorker();
        } catch (Exception e) {
            log.error("a worker of {} could not start", name, e);
            failedToStart.incrementAndGet();
            started.countDown();
            return;
        }
        started.countDown();
        try (worker) {
            Batch batch = new Batch();
            while (true) {
                Chunk<I, O> first = queue.takeFirst();
                // Before take() lowers queuedTexts, so that awaitIdle never sees the batch in neither.
                busyWorkers.incrementAndGet();
                try {
                    long oldestNanos = first.enqueuedNanos;
                    if (take(first, batch)) {
                        fill(batch, oldestNanos);
                    }
                    for (List<QueuedInput<I, O>> group : byLength(withoutAbandoned(batch.inputs))) {
                        run(worker, group);
                    }
                    batch.clear();
                } finally {
                    busyWorkers.decrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("worker of {} died", name, e);
        }
    }

    /** Adds queued requests while the batch is open, waiting at most the queue delay since the oldest. */
    private void fill(Batch batch, long oldestNanos) throws InterruptedException {
        long deadline = oldestNanos + settings.maxQueueDelay().toNanos();
        while (true) {
            Chunk<I, O> next = queue.pollFirst();
            if (next == null) {
                long wait = deadline - System.nanoTime();
                next = wait > 0 ? queue.pollFirst(wait, TimeUnit.NANOSECONDS) : null;
                if (next == null) {
                    return;
                }
            }
            if (!take(next, batch)) {
                return;
            }
        }
    }

    /**
     * Moves the chunk's inputs into the batch while they fit (batch size, padding bound); the rest
     * goes back to the queue's head.
     *
     * @return whether the batch is still open for more inputs
     */
    private boolean take(Chunk<I, O> chunk, Batch batch) {
        int taken = 0;
        while (taken < chunk.inputs.size()
                && batch.offer(new QueuedInput<>(chunk.request, chunk.offset + taken, chunk.inputs.get(taken)))) {
            taken++;
        }
        if (taken < chunk.inputs.size()) {
            queue.addFirst(chunk.rest(taken));
        }
        queuedTexts.addAndGet(-taken);
        capacity.release(taken);
        return taken == chunk.inputs.size() && batch.inputs.size() < settings.maxBatchSize();
    }

    private List<QueuedInput<I, O>> withoutAbandoned(List<QueuedInput<I, O>> batch) {
        List<QueuedInput<I, O>> live = new ArrayList<>(batch.size());
        List<QueuedInput<I, O>> abandoned = new ArrayList<>(0);
        for (QueuedInput<I, O> input : batch) {
            (input.request.callerGone.getAsBoolean() ? abandoned : live).add(input);
        }
        if (!abandoned.isEmpty()) {
            observer.inputsDropped(abandoned.size());
            for (QueuedInput<I, O> input : abandoned) {
                input.request.fail(new CancellationException("caller gone"));
            }
        }
        return live;
    }

    /**
     * With {@link BatchingSettings#learnCosts()}, the batch taken from the queue sorted by length
     * and cut, shortest first, wherever the next input would break the padding bound: a long
     * text that arrived among short ones runs on its own, not as the end of the short ones' batch.
     * Without, the batch as formed (in arrival order, already within the bound).
     */
    private List<List<QueuedInput<I, O>>> byLength(List<QueuedInput<I, O>> batch) {
        if (!settings.learnCosts() || batch.size() <= 1) {
            return List.of(batch);
        }
        List<QueuedInput<I, O>> sorted = new ArrayList<>(batch);
        sorted.sort(Comparator.comparingInt(this::units));
        List<List<QueuedInput<I, O>>> groups = new ArrayList<>();
        List<QueuedInput<I, O>> group = new ArrayList<>();
        long realLength = 0;
        for (QueuedInput<I, O> input : sorted) {
            int inputLength = units(input);
            // Sorted, so this input is the group's longest.
            if (!group.isEmpty() && breaksPaddingBound(inputLength, group.size() + 1, realLength + inputLength)) {
                groups.add(group);
                group = new ArrayList<>();
                realLength = 0;
            }
            group.add(input);
            realLength += inputLength;
        }
        groups.add(group);
        for (int i = 1; i < groups.size(); i++) {
            observer.batchSplit(BatchObserver.SplitReason.PADDING, groups.get(i).size());
        }
        return groups;
    }

    /** An input's length in the units the model pads, at least one. */
    private int units(QueuedInput<I, O> input) {
        return Math.max(1, length.applyAsInt(input.input));
    }

    /** Whether {@code count} inputs of {@code realLength} units in all, each padded to {@code longest}, break the padding bound. */
    private boolean breaksPaddingBound(int longest, int count, long realLength) {
        return (double) longest * count > settings.maxPaddingRatio() * realLength;
    }

    private void run(BatchWorker<I, O> worker, List<QueuedInput<I, O>> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<I> inputs = new ArrayList<>(batch.size());
        int[] lengths = new int[batch.size()];
        int longest = 1;
        for (int i = 0; i < batch.size(); i++) {
            inputs.add(batch.get(i).input);
            lengths[i] = length.applyAsInt(batch.get(i).input);
            longest = Math.max(longest, lengths[i]);
        }
        double predicted = costs.predict(inputs.size(), longest);
        if (!worthRunningTogether(lengths, longest, predicted)) {
            observer.batchSplit(BatchObserver.SplitReason.COST, batch.size() - 1);
            batch.forEach(alone -> run(worker, List.of(alone)));
            return;
        }
        List<O> outputs;
        long start = System.nanoTime();
        long startCpu = THREADS.getCurrentThreadCpuTime();
        try {
            outputs = worker.run(inputs);
        } catch (Exception e) {
            List<List<QueuedInput<I, O>>> byRequest = byRequest(batch);
            if (byRequest.size() > 1) {
                // One caller's inputs may be what the model rejects (an index out of range, say):
                // each request runs again alone, so that only its own caller gets the failure.
                log.debug("a batch of {} over {} requests failed; running each alone", name, byRequest.size(), e);
                byRequest.forEach(alone -> run(worker, alone));
            } else {
                // The caller's status says what failed; the log line is the API's to write.
                for (QueuedInput<I, O> input : batch) {
                    input.request.fail(e);
                }
            }
            return;
        }
        long took = System.nanoTime() - start;
        long cpu = THREADS.getCurrentThreadCpuTime() - startCpu;
        costs.measured(inputs.size(), longest, cpu);
        observer.batchCompleted(outputs, took);
        if (!Double.isNaN(predicted)) {
            observer.batchCost(inputs.size(), predicted, cpu);
        }
        Map<Executor, List<PendingRequest<O>>> finished = new IdentityHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            QueuedInput<I, O> input = batch.get(i);
            if (input.complete(outputs.get(i))) {
                finished.computeIfAbsent(input.request.completions, executor -> new ArrayList<>()).add(input.request);
            }
        }
        finished.forEach((executor, requests) -> PendingRequest.execute(executor, () -> {
            for (PendingRequest<O> request : requests) {
                request.future.complete(request.outputs());
            }
        }));
    }

    /**
     * Whether a batch formed (by size, shape and padding bound) is predicted to save at least
     * {@link #REQUIRED_SAVING} of running its inputs one by one. The batch is judged whole, not
     * grown input by input: on a model where two together cost what two apart do but eight
     * together save a tenth, a rule that adds an input only while it pays would never get past
     * one. The margin is there because a saving smaller than a pass's own variation is not a
     * saving. Where nothing of the batch's length has been measured it runs, so that the pass
     * measures it; where an input's length has never run alone, the batch runs apart, so that
     * those passes measure the singles (an unknown on either side must not decide for the other).
     * The side a decision does not run goes stale: batches the batcher stopped running, or singles
     * it has not run since it began to batch (measured, perhaps, while the machine was slower). Now
     * and then ({@link BatchCosts#explore}) a batch whose other side is stale goes that way once,
     * so that a decision is revisited at a bounded cost, and never rests on one side measured now
     * and the other long ago.
     */
    private boolean worthRunningTogether(int[] lengths, int longest, double predicted) {
        if (!settings.learnCosts() || lengths.length == 1 || Double.isNaN(predicted)) {
            return true;
        }
        double apart = 0;
        boolean singlesStale = false;
        for (int inputLength : lengths) {
            apart += costs.predictAlone(inputLength);
            singlesStale |= !costs.fresh(1, inputLength);
        }
        if (Double.isNaN(apart)) {
            return false;
        }
        boolean together = predicted <= (1 - REQUIRED_SAVING) * apart;
        boolean otherSideStale = together ? singlesStale : !costs.fresh(lengths.length, longest);
        return (otherSideStale && costs.explore()) != together;
    }

    /** The batch's inputs cut into runs of one request each, in order (a request's inputs are taken together). */
    private static <I, O> List<List<QueuedInput<I, O>>> byRequest(List<QueuedInput<I, O>> batch) {
        List<List<QueuedInput<I, O>>> runs = new ArrayList<>();
        for (QueuedInput<I, O> input : batch) {
            if (runs.isEmpty() || runs.get(runs.size() - 1).get(0).request != input.request) {
                runs.add(new ArrayList<>());
            }
            runs.get(runs.size() - 1).add(input);
        }
        return runs;
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
        Chunk<I, O> left;
        while ((left = queue.poll()) != null) {
            left.request.fail(new RejectedException(RejectedException.Reason.SHUTTING_DOWN, name + " shut down"));
        }
    }

    /** The batch a worker is forming, with what the padding bound needs to know of it. */
    private final class Batch {
        final List<QueuedInput<I, O>> inputs = new ArrayList<>(settings.maxBatchSize());
        long realLength;
        int longest;
        Object key;

        /** Adds {@code input} if there is room, its key matches and the padding stays within the bound with it. */
        boolean offer(QueuedInput<I, O> input) {
            if (inputs.size() >= settings.maxBatchSize()) {
                return false;
            }
            Object inputKey = batchKey.apply(input.input);
            if (!inputs.isEmpty() && !Objects.equals(key, inputKey)) {
                observer.batchSplit(BatchObserver.SplitReason.SHAPE, 1);
                return false;
            }
            key = inputKey;
            int inputLength = units(input);
            // Learning groups the batch by length before it runs (byLength), so the bound applies there.
            if (!inputs.isEmpty() && !settings.learnCosts()
                    && breaksPaddingBound(Math.max(longest, inputLength), inputs.size() + 1, realLength + inputLength)) {
                observer.batchSplit(BatchObserver.SplitReason.PADDING, 1);
                return false;
            }
            inputs.add(input);
            realLength += inputLength;
            longest = Math.max(longest, inputLength);
            return true;
        }

        void clear() {
            inputs.clear();
            realLength = 0;
            longest = 0;
            key = null;
        }
    }

    private static final class PendingRequest<O> {
        final Object[] outputs;
        final AtomicInteger remaining;
        final BooleanSupplier callerGone;
        final Executor completions;
        final CompletableFuture<List<O>> future = new CompletableFuture<>();

        PendingRequest(int size, BooleanSupplier callerGone, Executor completions) {
            this.outputs = new Object[size];
            this.remaining = new AtomicInteger(size);
            this.callerGone = callerGone;
            this.completions = completions;
        }

        void fail(Throwable cause) {
            execute(completions, () -> future.completeExceptionally(cause));
        }

        /** Runs on {@code executor}, or here if it has shut down: a request is never left unanswered. */
        static void execute(Executor executor, Runnable completion) {
            try {
                executor.execute(completion);
            } catch (RejectedExecutionException shutDown) {
                completion.run();
            }
        }

        @SuppressWarnings("unchecked") // every slot holds an O, set by complete()
        List<O> outputs() {
            return (List<O>) Arrays.asList(outputs);
        }
    }

    /** The inputs of one request not yet taken, from {@code offset} on. */
    private record Chunk<I, O>(PendingRequest<O> request, int offset, List<I> inputs, long enqueuedNanos) {

        Chunk<I, O> rest(int taken) {
            return new Chunk<>(request, offset + taken, inputs.subList(taken, inputs.size()), enqueuedNanos);
        }
    }

    private record QueuedInput<I, O>(PendingRequest<O> request, int index, I input) {

        /** @return whether this was the request's last output */
        boolean complete(O output) {
            request.outputs[index] = output;
            return request.remaining.decrementAndGet() == 0;
        }
    }
}
