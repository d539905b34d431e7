package dev.inference.gateway.shadow;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.inference.api.Headers;
import dev.inference.api.tensors.Similarity;
import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.Embedding;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.gateway.forwarding.Answer;
import dev.inference.gateway.forwarding.ResponseMetadata;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.routing.TrackRouter;
import dev.inference.gateway.routing.Upstream;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Sends a share of the unpinned Predict, Embed and ModelInfer calls, once their client has the
 * answer, to the other track too, and compares the two answers text by text (Predict: the labels;
 * Embed: the vectors' cosine against a threshold) or row by row (ModelInfer, any model:
 * {@link TensorAgreement}): the evidence that a canary answers like
 * stable, which latency and error rate cannot give. The client never waits for the shadow; shadows in flight
 * are bounded, and past the bound skipped, never queued. Only answers of two different revisions are
 * compared (after a promotion both tracks may be the same pods).
 */
public final class ShadowComparison {

    /** Why a sampled call was not compared, as {@code inference_shadow_skipped_total} reports it. */
    public static final String IN_FLIGHT_LIMIT = "in_flight_limit";
    public static final String SAME_REVISION = "same_revision";
    public static final String NO_OTHER_TRACK = "no_other_track";

    /** The revision of an answer without {@code x-model-revision}. */
    static final String UNKNOWN_REVISION = "unknown";


    private final double fraction;
    private final double minCosine;
    private final Semaphore inFlight;
    private final TrackRouter router;
    private final GatewayMetrics metrics;

    /**
     * @param percent share of unpinned Predict calls to shadow, 0 to 100
     * @param maxInFlight most shadow calls under way at once
     * @param minCosine the least cosine at which two embeddings of one text agree
     */
    public ShadowComparison(double percent, int maxInFlight, double minCosine, TrackRouter router,
            GatewayMetrics metrics) {
        this.fraction = percent / 100;
        this.minCosine = minCosine;
        this.inFlight = new Semaphore(maxInFlight);
        this.router = router;
        this.metrics = metrics;
    }

    /** Called with every Predict answer the client already has: the texts agree when their labels do. */
    public void afterAnswer(PredictRequest request, Answer<PredictResponse> primary) {
        shadow(primary.response().getModel(), primary, upstream -> upstream.inference(),
                (stub, deadline) -> stub.withDeadlineAfter(deadline, TimeUnit.MILLISECONDS).predict(request),
                ShadowComparison::labelsAgree);
    }

    /**
     * Called with every Open Inference Protocol answer the client already has, of any model: the
     * rows agree as {@link TensorAgreement} says.
     */
    public void afterInfer(ModelInferRequest request, Answer<ModelInferResponse> primary) {
        shadow(primary.response().getModelName(), primary, upstream -> upstream.openInference(),
                (stub, deadline) -> stub.withDeadlineAfter(deadline, TimeUnit.MILLISECONDS).modelInfer(request),
                (a, b) -> TensorAgreement.compare(a, b, minCosine));
    }

    /**
     * Called with every Embed answer the client already has (over gRPC, REST or OpenAI's API): the
     * texts agree when the cosine of their two vectors is at least the threshold.
     */
    public void afterEmbed(EmbedRequest request, Answer<EmbedResponse> primary) {
        shadow(primary.response().getModel(), primary, upstream -> upstream.inference(),
                (stub, deadline) -> stub.withDeadlineAfter(deadline, TimeUnit.MILLISECONDS).embed(request),
                this::vectorsAgree);
    }

    /** How one API's call is sent as a shadow, given what is left of the caller's deadline. */
    private interface ShadowCall<S, R> {
        ListenableFuture<R> send(S stub, long deadlineMillis);
    }

    private <S extends AbstractStub<S>, R> void shadow(String model, Answer<R> primary, Function<Upstream, S> stubs,
            ShadowCall<S, R> call, BiFunction<R, R, TensorAgreement.Counts> agreement) {
        if (primary.pinned() || fraction == 0 || ThreadLocalRandom.current().nextDouble() >= fraction) {
            return;
        }
        Optional<TrackRouter.Route> other = router.otherTrack(primary.track());
        if (other.isEmpty()) {
            metrics.shadowSkipped(model, NO_OTHER_TRACK);
            return;
        }
        if (!inFlight.tryAcquire()) {
            metrics.shadowSkipped(model, IN_FLIGHT_LIMIT);
            return;
        }
        TrackRouter.Route route = other.get();
        ResponseMetadata answered = new ResponseMetadata();
        ListenableFuture<R> shadow = call.send(primary.outgoing().attach(stubs.apply(route.upstream()), route)
                .withInterceptors(answered.capture()), Math.max(0, primary.remainingMillis()));
        String askedTrack = route.pinHeader().orElse(route.upstream().name());
        Futures.addCallback(shadow, new FutureCallback<>() {
            @Override
            public void onSuccess(R response) {
                inFlight.release();
                String track = answered.get(Headers.TRACK).orElse(askedTrack);
                compare(model, primary, track, answered.get(Headers.REVISION).orElse(UNKNOWN_REVISION),
                        () -> agreement.apply(primary.response(), response));
            }

            @Override
            public void onFailure(Throwable error) {
                inFlight.release();
                String canaryRevision = TrackRouter.CANARY.equals(primary.track())
                        ? primary.revision().orElse(UNKNOWN_REVISION)
                        : answered.get(Headers.REVISION).orElse(UNKNOWN_REVISION);
                metrics.shadowFailed(model, canaryRevision, Status.fromThrowable(error).getCode());
            }
        }, MoreExecutors.directExecutor());
    }

    private static TensorAgreement.Counts labelsAgree(PredictResponse primary, PredictResponse shadow) {
        int texts = Math.max(primary.getPredictionsCount(), shadow.getPredictionsCount());
        int agreed = 0;
        for (int i = 0; i < Math.min(primary.getPredictionsCount(), shadow.getPredictionsCount()); i++) {
            if (primary.getPredictions(i).getLabel().equals(shadow.getPredictions(i).getLabel())) {
                agreed++;
            }
        }
        return new TensorAgreement.Counts(agreed, texts - agreed);
    }

    private TensorAgreement.Counts vectorsAgree(EmbedResponse primary, EmbedResponse shadow) {
        int texts = Math.max(primary.getEmbeddingsCount(), shadow.getEmbeddingsCount());
        int agreed = 0;
        for (int i = 0; i < Math.min(primary.getEmbeddingsCount(), shadow.getEmbeddingsCount()); i++) {
            float[] a = values(primary.getEmbeddings(i));
            float[] b = values(shadow.getEmbeddings(i));
            if (a.length == b.length && Similarity.cosine(a, b) >= minCosine) {
                agreed++;
            }
        }
        return new TensorAgreement.Counts(agreed, texts - agreed);
    }

    private static float[] values(Embedding embedding) {
        float[] values = new float[embedding.getValuesCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = embedding.getValues(i);
        }
        return values;
    }

    private void compare(String model, Answer<?> primary, String shadowTrack, String shadowRevision,
            Supplier<TensorAgreement.Counts> agreement) {
        String primaryRevision = primary.revision().orElse(UNKNOWN_REVISION);
        if (primaryRevision.equals(shadowRevision)) {
            metrics.shadowSkipped(model, SAME_REVISION);
            return;
        }
        String canaryRevision;
        if (TrackRouter.CANARY.equals(primary.track())) {
            canaryRevision = primaryRevision;
        } else if (TrackRouter.CANARY.equals(shadowTrack)) {
            canaryRevision = shadowRevision;
        } else {
            metrics.shadowSkipped(model, NO_OTHER_TRACK);
            return;
        }
        TensorAgreement.Counts counts = agreement.get();
        metrics.shadowCompared(model, canaryRevision, counts.agreed(), counts.disagreed());
    }
}
