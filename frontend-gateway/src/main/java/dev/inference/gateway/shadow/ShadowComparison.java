package dev.inference.gateway.shadow;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.inference.api.Headers;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.gateway.forwarding.Answer;
import dev.inference.gateway.forwarding.ResponseMetadata;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.routing.TrackRouter;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sends a share of the unpinned Predict calls, once their client has the answer, to the other track
 * too, and compares the two answers label by label: the evidence that a canary answers like stable,
 * which latency and error rate cannot give. The client never waits for the shadow; shadows in flight
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

    private static final Metadata.Key<String> REQUEST_ID = ResponseMetadata.key(Headers.REQUEST_ID);
    private static final Metadata.Key<String> TRACK = ResponseMetadata.key(Headers.TRACK);

    private final double fraction;
    private final Semaphore inFlight;
    private final TrackRouter router;
    private final GatewayMetrics metrics;

    /**
     * @param percent share of unpinned Predict calls to shadow, 0 to 100
     * @param maxInFlight most shadow calls under way at once
     */
    public ShadowComparison(double percent, int maxInFlight, TrackRouter router, GatewayMetrics metrics) {
        this.fraction = percent / 100;
        this.inFlight = new Semaphore(maxInFlight);
        this.router = router;
        this.metrics = metrics;
    }

    /** Called with every Predict answer the client already has. */
    public void afterAnswer(PredictRequest request, Answer<PredictResponse> primary) {
        if (primary.pinned() || fraction == 0 || ThreadLocalRandom.current().nextDouble() >= fraction) {
            return;
        }
        String model = primary.response().getModel();
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
        Metadata outgoing = new Metadata();
        outgoing.put(REQUEST_ID, primary.requestId());
        outgoing.put(TRACK, route.pinHeader().orElse(Headers.TRACK_AUTO));
        ResponseMetadata answered = new ResponseMetadata();
        ListenableFuture<PredictResponse> shadow = route.upstream().inference()
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(outgoing), answered.capture())
                .withDeadlineAfter(Math.max(0, primary.remainingMillis()), TimeUnit.MILLISECONDS)
                .predict(request);
        String askedTrack = route.pinHeader().orElse(route.upstream().name());
        Futures.addCallback(shadow, new FutureCallback<>() {
            @Override
            public void onSuccess(PredictResponse response) {
                inFlight.release();
                String track = answered.get(Headers.TRACK).orElse(askedTrack);
                compare(model, primary, track, answered.get(Headers.REVISION).orElse(UNKNOWN_REVISION), response);
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

    private void compare(String model, Answer<PredictResponse> primary, String shadowTrack, String shadowRevision,
            PredictResponse shadow) {
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
        int texts = Math.max(primary.response().getPredictionsCount(), shadow.getPredictionsCount());
        int agreed = 0;
        for (int i = 0; i < Math.min(primary.response().getPredictionsCount(), shadow.getPredictionsCount()); i++) {
            if (primary.response().getPredictions(i).getLabel().equals(shadow.getPredictions(i).getLabel())) {
                agreed++;
            }
        }
        metrics.shadowCompared(model, canaryRevision, agreed, texts - agreed);
    }
}
