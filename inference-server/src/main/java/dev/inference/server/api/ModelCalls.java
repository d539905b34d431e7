package dev.inference.server.api;

import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.batching.RejectedException;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.model.InputRejectedException;
import dev.inference.server.model.Task;
import dev.inference.server.registry.ModelRegistry;
import dev.inference.server.registry.ServedVersion;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call to a model, of any task and whichever API it came through: resolves the model version,
 * reads the call's inputs for it, applies the fault injection, hands the inputs to the version's
 * batcher and answers exactly once, recording the call in the metrics. Never blocks the calling thread.
 */
public final class ModelCalls {

    /** The inputs of a call, read once the model version is known: a malformed request fails here. */
    interface Inputs<O> {
        Submission<O> read(ServedVersion served) throws StatusException;
    }

    /** Read inputs, ready for the version's batcher. */
    interface Submission<O> {
        CompletableFuture<List<O>> submit(BooleanSupplier callerGone, Executor completions);
    }

    private static final Logger log = LoggerFactory.getLogger(ModelCalls.class);

    private final Supplier<ModelRegistry> registry;
    private final RequestLimits limits;
    private final FaultInjection faults;
    private final InferenceMetrics metrics;
    private final ScheduledExecutorService delayer;
    private final Supplier<Executor> replies;

    /**
     * @param registry the loaded models, or null while they are loading
     * @param delayer runs calls delayed by injected latency
     * @param replies where the answer to a call arriving on the current thread is best sent from:
     *     its transport's event loop
     */
    public ModelCalls(Supplier<ModelRegistry> registry, RequestLimits limits, FaultInjection faults,
            InferenceMetrics metrics, ScheduledExecutorService delayer, Supplier<Executor> replies) {
        this.registry = registry;
        this.limits = limits;
        this.faults = faults;
        this.metrics = metrics;
        this.delayer = delayer;
        this.replies = replies;
    }

    RequestLimits limits() {
        return limits;
    }

    /**
     * Runs the call's inputs through the version and answers the call with {@code response}, or
     * with the status that says what was wrong.
     */
    <O, R> void call(String model, String version, Inputs<O> inputs, ServerCallStreamObserver<R> call,
            BiFunction<ServedVersion, List<O>, R> response) {
        long start = System.nanoTime();
        // The batcher learns of cancellation from the Context; the handler only stops the
        // observer from throwing when a late response meets a cancelled call.
        call.setOnCancelHandler(() -> {});
        ModelRegistry.Lease lease;
        try {
            limits.checkNames(model, version);
            lease = loaded().lease(model, version);
        } catch (StatusException e) {
            metrics.requestCompleted(InferenceMetrics.UNKNOWN, InferenceMetrics.UNKNOWN,
                    e.getStatus().getCode(), System.nanoTime() - start);
            call.onError(e);
            return;
        }
        ServedVersion served = lease.version();
        ModelHeadersInterceptor.recordServedVersion(served.version());
        PendingCall<O, R> pending = new PendingCall<>(call, served, start, response);
        Submission<O> read;
        try {
            read = inputs.read(served);
        } catch (StatusException e) {
            lease.close();
            pending.fail(e.getStatus());
            return;
        }
        Context context = Context.current();
        Executor replyOn = replies.get();
        if (faults.latencyMillis() > 0) {
            delayer.schedule(context.wrap(() -> enqueue(read, pending, context, replyOn, lease)), faults.latencyMillis(),
                    TimeUnit.MILLISECONDS);
        } else {
            enqueue(read, pending, context, replyOn, lease);
        }
    }

    /** The registry, once the models are loaded. */
    ModelRegistry loaded() throws StatusException {
        ModelRegistry loaded = registry.get();
        if (loaded == null) {
            throw Status.UNAVAILABLE.withDescription("the server is starting: models are loading").asException();
        }
        return loaded;
    }

    /**
     * The version as the kind an API serves.
     *
     * @param task the task of that kind, named in the message
     * @param api names the API in the message, such as {@code Predict}
     * @throws StatusException FAILED_PRECONDITION naming the version's task and where it is served
     */
    static <T extends ServedVersion> T require(ServedVersion served, Class<T> kind, Task task, String api)
            throws StatusException {
        if (kind.isInstance(served)) {
            return kind.cast(served);
        }
        throw Status.FAILED_PRECONDITION.withDescription("model \"" + served.model() + "\" version \""
                + served.version() + "\" is a " + served.task().id() + " model; " + api + " serves " + task.id()
                + " models: call it with " + whereServed(served)).asException();
    }

    private static String whereServed(ServedVersion served) {
        return switch (served.task()) {
            case TEXT_CLASSIFICATION -> "Predict (POST /v1/models/" + served.model() + ":predict)";
            case TEXT_EMBEDDING -> "Embed (POST /v1/models/" + served.model() + ":embed)";
            case TENSOR -> "the Open Inference Protocol (ModelInfer, POST /v2/models/" + served.model() + "/infer)";
        };
    }

    /**
     * The inputs for a batcher, its outputs seen as plain objects: for an API whose calls reach
     * versions of several tasks, and so batchers of several output types.
     */
    @SuppressWarnings("unchecked") // the outputs are only read, and every element is an Object
    static <I> Submission<Object> submission(DynamicBatcher<I, ?> batcher, List<I> inputs) {
        // A cast rather than a thenApply stage: no extra future on every call's path.
        return (callerGone, completions) ->
                (CompletableFuture<List<Object>>) (CompletableFuture<?>) batcher.submit(inputs, callerGone, completions);
    }

    /** Queues the inputs, then gives the version back: queued, the call no longer needs the lease. */
    private <O, R> void enqueue(Submission<O> inputs, PendingCall<O, R> pending, Context context, Executor replyOn,
            ModelRegistry.Lease lease) {
        try (lease) {
            enqueue(inputs, pending, context, replyOn);
        }
    }

    private <O, R> void enqueue(Submission<O> inputs, PendingCall<O, R> pending, Context context, Executor replyOn) {
        if (context.isCancelled()) {
            pending.fail(callerGoneStatus(context));
            return;
        }
        if (faults.nextCallFails()) {
            pending.fail(Status.INTERNAL.withDescription("injected fault (--inject-error-rate)"));
            return;
        }
        try {
            inputs.submit(context::isCancelled, replyOn)
                    .whenComplete((results, error) -> {
                        if (error == null) {
                            pending.succeed(results);
                        } else {
                            pending.fail(statusOf(error, context, pending.served));
                        }
                    });
        } catch (RejectedException e) {
            pending.fail(e.reason() == RejectedException.Reason.QUEUE_FULL
                    ? Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage())
                    : Status.UNAVAILABLE.withDescription("the server is shutting down; retry on another replica"));
        }
    }

    private static Status statusOf(Throwable error, Context context, ServedVersion served) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CancellationException) {
            return callerGoneStatus(context);
        }
        if (cause instanceof RejectedException) {
            return Status.UNAVAILABLE.withDescription("the server is shutting down; retry on another replica");
        }
        if (cause instanceof InputRejectedException) {
            log.info("{}/{} rejected a call's inputs: {}", served.model(), served.version(), cause.getMessage());
            return Status.INVALID_ARGUMENT.withDescription("the model rejected the inputs: " + cause.getMessage());
        }
        log.error("a call to {}/{} failed", served.model(), served.version(), cause);
        return Status.INTERNAL.withDescription("the model failed to process the request");
    }

    private static Status callerGoneStatus(Context context) {
        Deadline deadline = context.getDeadline();
        return deadline != null && deadline.isExpired()
                ? Status.DEADLINE_EXCEEDED.withDescription("the deadline passed before the model ran")
                : Status.CANCELLED.withDescription("the call was cancelled before the model ran");
    }

    /** A call between validation and its response: answers once and records it. */
    private static final class PendingCall<O, R> {
        final ServerCallStreamObserver<R> call;
        final ServedVersion served;
        final long startNanos;
        final BiFunction<ServedVersion, List<O>, R> response;

        PendingCall(ServerCallStreamObserver<R> call, ServedVersion served, long startNanos,
                BiFunction<ServedVersion, List<O>, R> response) {
            this.call = call;
            this.served = served;
            this.startNanos = startNanos;
            this.response = response;
        }

        void succeed(List<O> results) {
            R answer = response.apply(served, results);
            served.metrics().requestCompleted(Status.Code.OK, System.nanoTime() - startNanos);
            if (!call.isCancelled()) {
                call.onNext(answer);
                call.onCompleted();
            }
        }

        void fail(Status status) {
            served.metrics().requestCompleted(status.getCode(), System.nanoTime() - startNanos);
            if (!call.isCancelled()) {
                call.onError(status.asRuntimeException());
            }
        }
    }
}
