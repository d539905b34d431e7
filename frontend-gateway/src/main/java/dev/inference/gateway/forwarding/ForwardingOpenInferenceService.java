package dev.inference.gateway.forwarding;

import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ModelReadyResponse;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerLiveResponse;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerMetadataResponse;
import inference.GrpcPredictV2.ServerReadyRequest;
import inference.GrpcPredictV2.ServerReadyResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.BiConsumer;

/**
 * The Open Inference Protocol v2 ({@code inference.GRPCInferenceService}) passed through to the
 * inference servers like {@code inference.v1}: pinning, the local split, deadlines, request ids and
 * health-aware routing alike ({@link Forwarder}). The repository-management methods stay
 * UNIMPLEMENTED: the platform loads its models at start.
 */
public final class ForwardingOpenInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private final Forwarder forwarder;
    private final BiConsumer<ModelInferRequest, Answer<ModelInferResponse>> afterInfer;

    /** @param afterInfer what happens with a ModelInfer answer once the client has it (the shadow) */
    public ForwardingOpenInferenceService(Forwarder forwarder,
            BiConsumer<ModelInferRequest, Answer<ModelInferResponse>> afterInfer) {
        this.forwarder = forwarder;
        this.afterInfer = afterInfer;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
        forwarder.forward("ServerLive", null, observer,
                (upstream, attempt) -> attempt.configure(upstream.openInference()).serverLive(request), answer -> { });
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
        forwarder.forward("ServerReady", null, observer,
                (upstream, attempt) -> attempt.configure(upstream.openInference()).serverReady(request), answer -> { });
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
        forwarder.forward("ModelReady", request.getName(), observer,
                (upstream, attempt) -> attempt.configure(upstream.openInference()).modelReady(request), answer -> { });
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
        forwarder.forward("ServerMetadata", null, observer,
                (upstream, attempt) -> attempt.configure(upstream.openInference()).serverMetadata(request), answer -> { });
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
        forwarder.forward("ModelMetadata", request.getName(), observer,
                (upstream, attempt) -> attempt.configure(upstream.openInference()).modelMetadata(request), answer -> { });
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
        forwarder.forward("ModelInfer", request.getModelName(), observer,
                (upstream, attempt) -> attempt.configure(upstream.openInference()).modelInfer(request),
                answer -> afterInfer.accept(request, answer));
    }
}
