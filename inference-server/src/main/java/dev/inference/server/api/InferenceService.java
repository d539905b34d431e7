package dev.inference.server.api;

import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.ListModelsRequest;
import dev.inference.api.v1.ListModelsResponse;
import dev.inference.api.v1.ModelInfo;
import dev.inference.api.v1.ModelVersionInfo;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.api.v1.Prediction;
import dev.inference.server.batching.RejectedException;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.model.Classification;
import dev.inference.server.registry.ModelRegistry;
import dev.inference.server.registry.ServedVersion;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code inference.v1.InferenceService}: validates a request, resolves the model version, and
 * hands the texts to that version's batcher. Never blocks the calling thread.
 */
public final class InferenceService extends InferenceServiceGrpc.InferenceServiceImplBase {

    private static final Logger log = LoggerFactory.getLogger(InferenceService.class);

    private final Supplier<ModelRegistry> registry;
    private final BooleanSupplier serving;
    private final RequestLimits limits;
    private final FaultInjection faults;
    private final InferenceMetrics metrics;
    private final ScheduledExecutorService delayer;

    /**
     * @param registry the loaded models, or null while they are loading
     * @param serving false while starting and draining
     * @param delayer runs calls delayed by injected latency
     */
    public InferenceService(Supplier<ModelRegistry> registry, BooleanSupplier serving, RequestLimits limits,
            FaultInjection faults, InferenceMetrics metrics, ScheduledExecutorService delayer) {
        this.registry = registry;
        this.serving = serving;
        this.limits = limits;
        this.faults = faults;
        this.metrics = metrics;
        this.delayer = delayer;
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
        long start = System.nanoTime();
        ServerCallStreamObserver<PredictResponse> call = (ServerCallStreamObserver<PredictResponse>) observer;
        // The batcher learns of cancellation from the Context; the handler only stops the
        // observer from throwing when a late response meets a cancelled call.
        call.setOnCancelHandler(() -> {});
        ServedVersion served;
        try {
            limits.checkNames(request.getModel(), request.getVersion());
            served = loadedRegistry().resolve(request.getModel(), request.getVersion());
        } catch (StatusException e) {
            metrics.requestCompleted(InferenceMetrics.UNKNOWN, InferenceMetrics.UNKNOWN,
                    e.getStatus().getCode(), System.nanoTime() - start);
            call.onError(e);
            return;
        }
        ModelHeadersInterceptor.recordServedVersion(served.version());
        PendingCall pending = new PendingCall(call, served, start);
        try {
            limits.checkInstances(request);
        } catch (StatusException e) {
            pending.fail(e.getStatus());
            return;
        }
        Context context = Context.current();
        if (faults.latencyMillis() > 0) {
            delayer.schedule(context.wrap(() -> enqueue(request, pending, context)),
                    faults.latencyMillis(), TimeUnit.MILLISECONDS);
        } else {
            enqueue(request, pending, context);
        }
    }

    private void enqueue(PredictRequest request, PendingCall pending, Context context) {
        if (context.isCancelled()) {
            pending.fail(callerGoneStatus(context));
            return;
        }
        if (faults.nextCallFails()) {
            pending.fail(Status.INTERNAL.withDescription("injected fault (--inject-error-rate)"));
            return;
        }
        try {
            pending.served.batcher()
                    .submit(request.getInstancesList(), context::isCancelled)
                    .whenComplete((results, error) -> {
                        if (error == null) {
                            pending.succeed(response(pending.served, results));
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

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
        try {
            observer.onNext(describe(loadedRegistry().model(request.getModel())));
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
        try {
            ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
            for (ModelRegistry.ServedModel model : loadedRegistry().models()) {
                response.addModels(describe(model));
            }
            observer.onNext(response.build());
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    private ModelRegistry loadedRegistry() throws StatusException {
        ModelRegistry loaded = registry.get();
        if (loaded == null) {
            throw Status.UNAVAILABLE.withDescription("the server is starting: models are loading").asException();
        }
        return loaded;
    }

    private ModelInfo describe(ModelRegistry.ServedModel model) {
        ModelInfo.Builder info = ModelInfo.newBuilder()
                .setName(model.name())
                .setDefaultVersion(model.defaultVersion())
                .setMaxInstances(limits.maxInstances())
                .setMaxInstanceChars(limits.maxInstanceChars());
        for (ServedVersion version : model.versions().values()) {
            info.addVersions(ModelVersionInfo.newBuilder()
                    .setVersion(version.version())
                    .setReady(serving.getAsBoolean())
                    .addAllLabels(version.classifier().labels())
                    .setMaxBatchSize(version.batcher().settings().maxBatchSize())
                    .setTask(version.classifier().config().task())
                    .setMaxSequenceLength(version.classifier().config().maxSequenceLength()));
        }
        return info.build();
    }

    private static PredictResponse response(ServedVersion served, List<Classification> results) {
        List<String> labels = served.classifier().labels();
        PredictResponse.Builder response = PredictResponse.newBuilder()
                .setModel(served.model())
                .setModelVersion(served.version());
        for (Classification result : results) {
            Prediction.Builder prediction = Prediction.newBuilder()
                    .setLabel(result.label(labels))
                    .setScore(result.score());
            for (int i = 0; i < labels.size(); i++) {
                prediction.putScores(labels.get(i), result.probabilities()[i]);
            }
            response.addPredictions(prediction);
        }
        return response.build();
    }

    private static Status statusOf(Throwable error, Context context, ServedVersion served) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CancellationException) {
            return callerGoneStatus(context);
        }
        if (cause instanceof RejectedException) {
            return Status.UNAVAILABLE.withDescription("the server is shutting down; retry on another replica");
        }
        log.error("Predict on {} failed", served.classifier(), cause);
        return Status.INTERNAL.withDescription("the model failed to process the request");
    }

    private static Status callerGoneStatus(Context context) {
        Deadline deadline = context.getDeadline();
        return deadline != null && deadline.isExpired()
                ? Status.DEADLINE_EXCEEDED.withDescription("the deadline passed before the model ran")
                : Status.CANCELLED.withDescription("the call was cancelled before the model ran");
    }

    /** A Predict call between validation and its response: answers once and records it. */
    private static final class PendingCall {
        final ServerCallStreamObserver<PredictResponse> call;
        final ServedVersion served;
        final long startNanos;

        PendingCall(ServerCallStreamObserver<PredictResponse> call, ServedVersion served, long startNanos) {
            this.call = call;
            this.served = served;
            this.startNanos = startNanos;
        }

        void succeed(PredictResponse response) {
            served.metrics().requestCompleted(Status.Code.OK, System.nanoTime() - startNanos);
            if (!call.isCancelled()) {
                call.onNext(response);
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
