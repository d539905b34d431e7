package dev.inference.gateway.forwarding;

import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.ListModelsRequest;
import dev.inference.api.v1.ListModelsResponse;
import dev.inference.api.v1.ModelInfo;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.BiConsumer;

/**
 * {@code inference.v1.InferenceService} as the gateway serves it, over gRPC, gRPC-Web and
 * transcoded REST alike: every call is forwarded to an inference server ({@link Forwarder}).
 */
public final class ForwardingInferenceService extends InferenceServiceGrpc.InferenceServiceImplBase {

    private final Forwarder forwarder;
    private final BiConsumer<PredictRequest, Answer<PredictResponse>> afterPredict;
    private final BiConsumer<EmbedRequest, Answer<EmbedResponse>> afterEmbed;

    /** @param afterPredict what happens with a Predict answer once the client has it (the shadow); afterEmbed too */
    public ForwardingInferenceService(Forwarder forwarder, BiConsumer<PredictRequest, Answer<PredictResponse>> afterPredict,
            BiConsumer<EmbedRequest, Answer<EmbedResponse>> afterEmbed) {
        this.forwarder = forwarder;
        this.afterPredict = afterPredict;
        this.afterEmbed = afterEmbed;
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
        forwarder.forward("Predict", request.getModel(), observer, (upstream, attempt) -> attempt.configure(upstream.inference()).predict(request),
                answer -> afterPredict.accept(request, answer));
    }

    @Override
    public void embed(EmbedRequest request, StreamObserver<EmbedResponse> observer) {
        forwarder.forward("Embed", request.getModel(), observer,
                (upstream, attempt) -> attempt.configure(upstream.inference()).embed(request),
                answer -> afterEmbed.accept(request, answer));
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
        forwarder.forward("GetModel", request.getModel(), observer,
                (upstream, attempt) -> attempt.configure(upstream.inference()).getModel(request), answer -> { });
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
        forwarder.forward("ListModels", null, observer,
                (upstream, attempt) -> attempt.configure(upstream.inference()).listModels(request), answer -> { });
    }
}
