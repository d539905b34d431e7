package dev.inference.server.api;

import static dev.inference.api.TextTensors.EMBEDDING_OUTPUT;
import static dev.inference.api.TextTensors.INPUT;
import static dev.inference.api.TextTensors.LABELS_PARAMETER;
import static dev.inference.api.TextTensors.LABEL_OUTPUT;
import static dev.inference.api.TextTensors.PROBABILITIES_OUTPUT;

import com.google.gson.JsonArray;
import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Datatype;
import dev.inference.server.model.Classification;
import dev.inference.server.model.Embedding;
import dev.inference.server.registry.ModelRegistry;
import dev.inference.server.registry.ServedVersion;
import dev.inference.server.tensor.TensorData;
import dev.inference.server.tensor.TensorSpec;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse.TensorMetadata;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ModelReadyResponse;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerLiveResponse;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerMetadataResponse;
import inference.GrpcPredictV2.ServerReadyRequest;
import inference.GrpcPredictV2.ServerReadyResponse;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/**
 * The Open Inference Protocol v2 ({@code inference.GRPCInferenceService}, KServe's "predict v2",
 * as tritonclient, the KServe SDK and perf_analyzer speak it) over models of every task, with the
 * same limits, batcher, deadlines and metrics as {@code inference.v1} ({@link ModelCalls}).
 *
 * <p>A tensor model takes and gives the tensors its graph declares ({@link TensorInfer}); its
 * metadata reports them, with -1 for every open dimension. A text classifier takes one BYTES input
 * {@value dev.inference.api.TextTensors#INPUT} of shape [N] or [N, 1], UTF-8 text, typed ({@code bytes_contents}) or raw
 * ({@code raw_input_contents}); it gives a BYTES output {@value dev.inference.api.TextTensors#LABEL_OUTPUT} [N] and an FP32 output {@value dev.inference.api.TextTensors#PROBABILITIES_OUTPUT} [N, labels], whose
 * column order the output's {@value dev.inference.api.TextTensors#LABELS_PARAMETER} parameter lists. Outputs are raw when the
 * request was raw, as Triton answers, typed otherwise. The classification extension: a
 * {@value #CLASSIFICATION} parameter k on {@value dev.inference.api.TextTensors#PROBABILITIES_OUTPUT} returns BYTES [N, k] of
 * {@code "score:index:label"}, best first. A text-embedding model takes the same input and gives
 * an FP32 output {@value dev.inference.api.TextTensors#EMBEDDING_OUTPUT} [N, dimension].
 */
public final class OpenInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    public static final String CLASSIFICATION = "classification";
    /** Triton's name for the repository extension ({@link RepositoryService}, {@link RepositoryHttp}). */
    public static final String MODEL_REPOSITORY = "model_repository";
    /** Triton's name for an ONNX Runtime model. */
    static final String PLATFORM = "onnxruntime_onnx";
    static final String SERVER_NAME = "inference-platform";

    private static final String BYTES = "BYTES";
    private static final String FP32 = "FP32";
    private static final String TENSOR = "input \"" + INPUT + "\"";

    private final ModelCalls calls;
    private final BooleanSupplier serving;
    private final String serverVersion;

    /**
     * @param serving false while starting and draining
     * @param serverVersion what ServerMetadata reports
     */
    public OpenInferenceService(ModelCalls calls, BooleanSupplier serving, String serverVersion) {
        this.calls = calls;
        this.serving = serving;
        this.serverVersion = serverVersion;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> observer) {
        observer.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
        observer.onCompleted();
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> observer) {
        observer.onNext(ServerReadyResponse.newBuilder().setReady(serving.getAsBoolean()).build());
        observer.onCompleted();
    }

    /** Not ready while loading or draining; an unknown model or version is NOT_FOUND. */
    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> observer) {
        try {
            boolean ready = serving.getAsBoolean();
            if (ready) {
                calls.loaded().resolve(request.getName(), request.getVersion());
            }
            observer.onNext(ModelReadyResponse.newBuilder().setReady(ready).build());
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> observer) {
        observer.onNext(ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(serverVersion)
                .addExtensions(CLASSIFICATION).addExtensions(MODEL_REPOSITORY).build());
        observer.onCompleted();
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
        try {
            ModelRegistry registry = calls.loaded();
            ServedVersion served = registry.resolve(request.getName(), request.getVersion());
            ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder()
                    .setName(served.model())
                    .addAllVersions(registry.model(served.model()).versions().keySet())
                    .setPlatform(PLATFORM);
            if (served instanceof ServedVersion.TensorVersion tensors) {
                tensors.tensorModel().inputs().forEach(spec -> metadata.addInputs(tensor(spec)));
                tensors.tensorModel().outputs().forEach(spec -> metadata.addOutputs(tensor(spec)));
            } else if (served instanceof ServedVersion.EmbeddingVersion embedding) {
                metadata.addInputs(tensor(INPUT, BYTES, -1))
                        .addOutputs(tensor(EMBEDDING_OUTPUT, FP32, -1, embedding.embedding().dimension()));
            } else {
                metadata.addInputs(tensor(INPUT, BYTES, -1))
                        .addOutputs(tensor(LABEL_OUTPUT, BYTES, -1))
                        .addOutputs(tensor(PROBABILITIES_OUTPUT, FP32, -1,
                                ((ServedVersion.ClassifierVersion) served).classifier().labels().size()));
            }
            observer.onNext(metadata.build());
            observer.onCompleted();
        } catch (StatusException e) {
            observer.onError(e);
        }
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
        Infer infer = new Infer(request);
        calls.call(request.getModelName(), request.getModelVersion(), infer::read,
                (ServerCallStreamObserver<ModelInferResponse>) observer, infer::response);
    }

    private static TensorMetadata tensor(TensorSpec spec) {
        return tensor(spec.name(), spec.datatype().name(), spec.shape());
    }

    private static TensorMetadata tensor(String name, String datatype, long... shape) {
        TensorMetadata.Builder tensor = TensorMetadata.newBuilder().setName(name).setDatatype(datatype);
        for (long dimension : shape) {
            tensor.addShape(dimension);
        }
        return tensor.build();
    }

    /** One ModelInfer call: its inputs and outputs read once the model version, and so its task, is known. */
    private final class Infer {
        private final ModelInferRequest request;
        private final boolean raw;
        private List<Output> outputs;
        private TensorInfer tensors;

        Infer(ModelInferRequest request) {
            this.request = request;
            this.raw = request.getRawInputContentsCount() > 0;
        }

        /** An output to return; {@code classification} 0 for the plain tensor. */
        private record Output(String name, int classification) {}

        ModelCalls.Submission<Object> read(ServedVersion served) throws StatusException {
            if (served instanceof ServedVersion.TensorVersion version) {
                tensors = TensorInfer.read(request, version, calls.limits());
                return ModelCalls.submission(version.batcher(), tensors.tensors().rows());
            }
            List<String> texts = texts();
            if (served instanceof ServedVersion.EmbeddingVersion embedding) {
                outputs = embeddingOutputs();
                return ModelCalls.submission(embedding.batcher(), texts);
            }
            ServedVersion.ClassifierVersion classifier = (ServedVersion.ClassifierVersion) served;
            outputs = outputs(classifier.classifier().labels().size());
            return ModelCalls.submission(classifier.batcher(), texts);
        }

        @SuppressWarnings("unchecked") // the batcher of the version read() saw gives these outputs
        ModelInferResponse response(ServedVersion served, List<Object> results) {
            if (tensors != null) {
                return tensors.response((List<List<TensorData>>) (List<?>) results);
            }
            if (served instanceof ServedVersion.EmbeddingVersion embedding) {
                return embedded(embedding, (List<Embedding>) (List<?>) results);
            }
            return classified((ServedVersion.ClassifierVersion) served, (List<Classification>) (List<?>) results);
        }

        private List<String> texts() throws StatusException {
            if (request.getInputsCount() == 0) {
                throw RequestLimits.invalid("the request has no inputs; the model takes one BYTES " + TENSOR
                        + " of shape [N] or [N, 1]");
            }
            for (InferInputTensor input : request.getInputsList()) {
                if (!input.getName().equals(INPUT)) {
                    throw RequestLimits.invalid("unknown input \"" + input.getName() + "\"; the model takes one BYTES "
                            + TENSOR);
                }
            }
            if (request.getInputsCount() > 1) {
                throw RequestLimits.invalid(TENSOR + " is given " + request.getInputsCount() + " times");
            }
            InferInputTensor input = request.getInputs(0);
            if (!input.getDatatype().equals(BYTES)) {
                throw RequestLimits.invalid(TENSOR + " has datatype " + input.getDatatype() + "; the model takes BYTES");
            }
            List<Long> shape = input.getShapeList();
            boolean column = shape.size() == 2 && shape.get(1) == 1;
            if ((shape.size() != 1 && !column) || shape.get(0) < 0) {
                throw RequestLimits.invalid(TENSOR + " has shape " + shape + "; the model takes [N] or [N, 1]");
            }
            List<ByteString> elements;
            if (raw) {
                if (input.getContents().getSerializedSize() > 0) {
                    throw RequestLimits.invalid(TENSOR + " has typed contents while the request has raw_input_contents:"
                            + " send every input either raw or typed");
                }
                if (request.getRawInputContentsCount() != request.getInputsCount()) {
                    throw RequestLimits.invalid("raw_input_contents holds " + request.getRawInputContentsCount()
                            + " tensors for " + request.getInputsCount() + " input");
                }
                elements = BytesTensors.decodeRaw(request.getRawInputContents(0), TENSOR);
            } else {
                elements = input.getContents().getBytesContentsList();
            }
            if (elements.size() != shape.get(0)) {
                throw RequestLimits.invalid(TENSOR + " has shape " + shape + " (" + shape.get(0) + " elements) but "
                        + elements.size() + " elements of data");
            }
            List<String> texts = new ArrayList<>(elements.size());
            for (int i = 0; i < elements.size(); i++) {
                texts.add(BytesTensors.utf8(elements.get(i), TENSOR, i));
            }
            calls.limits().checkTexts(texts, TENSOR, "too many texts in " + TENSOR);
            return texts;
        }

        /** An embedding model's one output, whether named or not. */
        private List<Output> embeddingOutputs() throws StatusException {
            for (InferRequestedOutputTensor output : request.getOutputsList()) {
                if (!output.getName().equals(EMBEDDING_OUTPUT) || !output.getParametersMap().isEmpty()) {
                    throw RequestLimits.invalid("unknown output \"" + output.getName() + "\" or parameters "
                            + output.getParametersMap().keySet() + "; the model gives \"" + EMBEDDING_OUTPUT
                            + "\" (FP32 [N, dimension]) and takes no output parameters");
                }
            }
            return List.of(new Output(EMBEDDING_OUTPUT, 0));
        }

        /** The outputs asked for, all of them when none is named. */
        private List<Output> outputs(int labels) throws StatusException {
            if (request.getOutputsCount() == 0) {
                return List.of(new Output(LABEL_OUTPUT, 0), new Output(PROBABILITIES_OUTPUT, 0));
            }
            List<Output> wanted = new ArrayList<>();
            for (InferRequestedOutputTensor output : request.getOutputsList()) {
                String name = output.getName();
                if (!name.equals(LABEL_OUTPUT) && !name.equals(PROBABILITIES_OUTPUT)) {
                    throw RequestLimits.invalid("unknown output \"" + name + "\"; the model gives \"" + LABEL_OUTPUT
                            + "\" (BYTES [N]) and \"" + PROBABILITIES_OUTPUT + "\" (FP32 [N, " + labels + "])");
                }
                InferParameter classification = output.getParametersMap().get(CLASSIFICATION);
                int top = 0;
                if (classification != null) {
                    long k = classification.getInt64Param();
                    if (!name.equals(PROBABILITIES_OUTPUT) || k < 1 || k > labels) {
                        throw RequestLimits.invalid("output \"" + name + "\": " + CLASSIFICATION + " must be an int64"
                                + " from 1 to " + labels + " on \"" + PROBABILITIES_OUTPUT + "\"");
                    }
                    top = (int) k;
                }
                wanted.add(new Output(name, top));
            }
            return wanted;
        }

        private ModelInferResponse classified(ServedVersion.ClassifierVersion served, List<Classification> results) {
            List<String> labels = served.classifier().labels();
            ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                    .setModelName(served.model())
                    .setModelVersion(served.version())
                    .setId(request.getId());
            for (Output output : outputs) {
                InferOutputTensor.Builder tensor = InferOutputTensor.newBuilder().setName(output.name());
                if (output.name().equals(LABEL_OUTPUT)) {
                    tensor.setDatatype(BYTES).addShape(results.size());
                    bytes(tensor, response, results.stream().map(result -> result.label(labels)).toList());
                } else if (output.classification() > 0) {
                    tensor.setDatatype(BYTES).addShape(results.size()).addShape(output.classification());
                    bytes(tensor, response, results.stream()
                            .flatMap(result -> topClasses(result, labels, output.classification()).stream()).toList());
                } else {
                    tensor.setDatatype(FP32).addShape(results.size()).addShape(labels.size())
                            .putParameters(LABELS_PARAMETER, labelsParameter(labels));
                    float[] values = new float[results.size() * labels.size()];
                    for (int i = 0; i < results.size(); i++) {
                        System.arraycopy(results.get(i).probabilities(), 0, values, i * labels.size(), labels.size());
                    }
                    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                    for (float value : values) {
                        contents.addFp32Contents(value);
                    }
                    if (raw) {
                        response.addRawOutputContents(Datatype.FP32.typedToRaw(contents.build()));
                    } else {
                        tensor.setContents(contents);
                    }
                }
                response.addOutputs(tensor);
            }
            return response.build();
        }

        private ModelInferResponse embedded(ServedVersion.EmbeddingVersion served, List<Embedding> results) {
            int dimension = served.embedding().dimension();
            InferTensorContents.Builder contents = InferTensorContents.newBuilder();
            for (Embedding result : results) {
                for (float value : result.vector()) {
                    contents.addFp32Contents(value);
                }
            }
            InferOutputTensor.Builder tensor = InferOutputTensor.newBuilder().setName(EMBEDDING_OUTPUT)
                    .setDatatype(FP32).addShape(results.size()).addShape(dimension);
            ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                    .setModelName(served.model())
                    .setModelVersion(served.version())
                    .setId(request.getId());
            if (raw) {
                response.addRawOutputContents(Datatype.FP32.typedToRaw(contents.build()));
            } else {
                tensor.setContents(contents);
            }
            return response.addOutputs(tensor).build();
        }

        private void bytes(InferOutputTensor.Builder tensor, ModelInferResponse.Builder response, List<String> values) {
            List<ByteString> elements = values.stream().map(ByteString::copyFromUtf8).toList();
            if (raw) {
                response.addRawOutputContents(BytesElements.encode(elements));
            } else {
                tensor.setContents(InferTensorContents.newBuilder().addAllBytesContents(elements));
            }
        }
    }

    /** The k most probable classes of one text as {@code "score:index:label"}, best first. */
    private static List<String> topClasses(Classification result, List<String> labels, int k) {
        float[] probabilities = result.probabilities();
        return IntStream.range(0, labels.size()).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> probabilities[i]).reversed())
                .limit(k)
                .map(i -> String.format(Locale.ROOT, "%f:%d:%s", probabilities[i], i, labels.get(i)))
                .toList();
    }

    /** The column order of the probabilities, as a JSON array: labels may hold any character. */
    private static InferParameter labelsParameter(List<String> labels) {
        JsonArray array = new JsonArray();
        labels.forEach(array::add);
        return InferParameter.newBuilder().setStringParam(array.toString()).build();
    }
}
