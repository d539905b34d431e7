package dev.inference.server.api;

import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.ListModelsRequest;
import dev.inference.api.v1.ListModelsResponse;
import dev.inference.api.v1.ModelInfo;
import dev.inference.api.v1.ModelVersionInfo;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.api.v1.Prediction;
import dev.inference.server.model.Classification;
import dev.inference.server.model.Embedding;
import dev.inference.server.model.Task;
import dev.inference.server.registry.ModelRegistry;
import dev.inference.server.registry.ServedVersion;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * {@code inference.v1.InferenceService}: validates a request and classifies its texts with the
 * resolved model version ({@link ModelCalls}). Predict serves text classifiers; GetModel and
 * ListModels describe models of every task. Never blocks the calling thread.
 */
public final class InferenceService extends InferenceServiceGrpc.InferenceServiceImplBase {

    private final ModelCalls calls;
    private final BooleanSupplier serving;

    /** @param serving false while starting and draining */
    public InferenceService(ModelCalls calls, BooleanSupplier serving) {
        this.calls = calls;
        this.serving = serving;
    }

    @Override
    public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
        calls.call(request.getModel(), request.getVersion(), served -> {
            ServedVersion.ClassifierVersion classifier =
                    ModelCalls.require(served, ServedVersion.ClassifierVersion.class, Task.TEXT_CLASSIFICATION, "Predict");
            calls.limits().checkTexts(request.getInstancesList(), "instances", "too many instances");
            return (callerGone, completions) ->
                    classifier.batcher().submit(request.getInstancesList(), callerGone, completions);
        }, (ServerCallStreamObserver<PredictResponse>) observer, InferenceService::response);
    }

    @Override
    public void embed(EmbedRequest request, StreamObserver<EmbedResponse> observer) {
        calls.call(request.getModel(), request.getVersion(), served -> {
            ServedVersion.EmbeddingVersion embedding =
                    ModelCalls.require(served, ServedVersion.EmbeddingVersion.class, Task.TEXT_EMBEDDING, "Embed");
            calls.limits().checkTexts(request.getInstancesList(), "instances", "too many instances");
            return (callerGone, completions) ->
                    embedding.batcher().submit(request.getInstancesList(), callerGone, completions);
        }, (ServerCallStreamObserver<EmbedResponse>) observer, InferenceService::embedded);
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
        try {
            observer.onNext(describe(calls.loaded().model(request.getModel())));
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
        try {
            ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
            for (ModelRegistry.ServedModel model : calls.loaded().models()) {
                response.addModels(describe(model));
            }
            observer.onNext(response.build());
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    private ModelInfo describe(ModelRegistry.ServedModel model) {
        ModelInfo.Builder info = ModelInfo.newBuilder()
                .setName(model.name())
                .setDefaultVersion(model.defaultVersion())
                .setMaxInstances(calls.limits().maxInstances())
                .setMaxInstanceChars(calls.limits().maxInstanceChars());
        for (ServedVersion version : model.versions().values()) {
            ModelVersionInfo.Builder described = ModelVersionInfo.newBuilder()
                    .setVersion(version.version())
                    .setReady(serving.getAsBoolean())
                    .setMaxBatchSize(version.batcher().settings().maxBatchSize())
                    .setTask(version.task().id());
            if (version instanceof ServedVersion.ClassifierVersion classifier) {
                described.addAllLabels(classifier.classifier().labels())
                        .setMaxSequenceLength(classifier.classifier().maxSequenceLength());
            } else if (version instanceof ServedVersion.EmbeddingVersion embedding) {
                described.setDimension(embedding.embedding().dimension())
                        .setMaxSequenceLength(embedding.embedding().maxSequenceLength());
            } else if (version instanceof ServedVersion.TensorVersion tensors && !tensors.batched()) {
                // Triton's max_batch_size: 0 for a model that runs each call alone.
                described.setMaxBatchSize(0);
            }
            info.addVersions(described);
        }
        return info.build();
    }

    private static PredictResponse response(ServedVersion served, List<Classification> results) {
        List<String> labels = ((ServedVersion.ClassifierVersion) served).classifier().labels();
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

    private static EmbedResponse embedded(ServedVersion served, List<Embedding> results) {
        EmbedResponse.Builder response = EmbedResponse.newBuilder()
                .setModel(served.model())
                .setModelVersion(served.version())
                .setDimension(((ServedVersion.EmbeddingVersion) served).embedding().dimension());
        int tokens = 0;
        for (Embedding result : results) {
            dev.inference.api.v1.Embedding.Builder vector = response.addEmbeddingsBuilder();
            for (float value : result.vector()) {
                vector.addValues(value);
            }
            tokens += result.tokens();
        }
        return response.setPromptTokens(tokens).build();
    }
}
