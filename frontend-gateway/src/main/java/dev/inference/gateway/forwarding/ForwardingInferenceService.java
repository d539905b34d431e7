package dev.inference.gateway.forwarding;

import com.google.common.util.concurrent.ListenableFuture;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.InferenceServiceGrpc.InferenceServiceFutureStub;
import dev.inference.api.v1.ListModelsRequest;
import dev.inference.api.v1.ListModelsResponse;
import dev.inference.api.v1.ModelInfo;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.routing.TrackRouter;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code inference.v1.InferenceService} as the gateway serves it, over gRPC, gRPC-Web and
 * transcoded REST alike: every call is forwarded to an inference server chosen by the
 * {@link TrackRouter}.
 */
public final class ForwardingInferenceService extends InferenceServiceGrpc.InferenceServiceImplBase {

    private final TrackRouter router;
    private final BiConsumer<PredictRequest, Answer<PredictResponse>> afterPredict;
    private final GatewayMetrics metrics;
    private final Duration pinTtl;
    private final Duration deadlineMargin;
    private final Duration defaultTimeout;

    /**
     * @param afterPredict what happens with a Predict answer once the client has it (the shadow)
     * @param pinTtl lifetime of the pin cookie
     * @param deadlineMargin taken off the remaining deadline, for the way back
     * @param defaultTimeout the deadline of calls that bring none
     */
    public ForwardingInferenceService(TrackRouter router,
            BiConsumer<PredictRequest, Answer<PredictResponse>> afterPredict, GatewayMetrics metrics,
            Duration pinTtl, Duration deadlineMargin, Duration defaultTimeout) {
        this.router = router;
        this.afterPredict = afterPredict;
        this.metrics = metrics;
        this.pinTtl = pinTtl;
        this.deadlineMargin = deadlineMargin;
        this.defaultTimeout = defaultTimeout;
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
        forward("Predict", observer, stub -> stub.predict(request), answer -> afterPredict.accept(request, answer));
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
        forward("GetModel", observer, stub -> stub.getModel(request), answer -> { });
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
        forward("ListModels", observer, stub -> stub.listModels(request), answer -> { });
    }

    private <R> void forward(String method, StreamObserver<R> observer,
            Function<InferenceServiceFutureStub, ListenableFuture<R>> call, Consumer<Answer<R>> afterAnswer) {
        new ForwardedCall<>(ServiceRequestContext.current(), method, observer, call, afterAnswer, router, metrics,
                pinTtl, deadlineMargin, defaultTimeout).start();
    }
}
