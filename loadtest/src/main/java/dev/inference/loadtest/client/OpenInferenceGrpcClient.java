package dev.inference.loadtest.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Datatype;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse.TensorMetadata;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * ModelInfer of the Open Inference Protocol v2 over gRPC, typed ({@code bytes_contents} and the
 * like, as the KServe SDK sends lists) or raw ({@code raw_input_contents}, as tritonclient always
 * sends). What a call carries follows the model's metadata, asked once: a text model's texts as its
 * one BYTES input "text" (raw of shape [N, 1]); a tensor model's declared inputs, one row per text
 * along an open first dimension (every other open dimension 1), each row's values derived from its
 * text, so that a corpus gives varied rows.
 */
public final class OpenInferenceGrpcClient implements PredictClient {

    private final ManagedChannel channel;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub stub;
    private final String model;
    private final String version;
    private final boolean raw;
    private final long timeoutMillis;
    /** A tensor model's inputs; empty for a text model. */
    private final List<TensorMetadata> tensorInputs;

    public OpenInferenceGrpcClient(String hostPort, String model, String version, Map<String, String> headers,
            long timeoutMillis, boolean raw) {
        this.channel = NettyChannelBuilder.forTarget(hostPort).usePlaintext().build();
        this.stub = GRPCInferenceServiceGrpc.newFutureStub(channel).withInterceptors(GrpcPredictClient.attaching(headers));
        this.model = model;
        this.version = version;
        this.raw = raw;
        this.timeoutMillis = timeoutMillis;
        List<TensorMetadata> inputs;
        try {
            inputs = stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).modelMetadata(
                    ModelMetadataRequest.newBuilder().setName(model).setVersion(version).build()).get().getInputsList();
        } catch (ExecutionException e) {
            channel.shutdownNow();
            throw new IllegalStateException("cannot read the metadata of model \"" + model + "\" at " + hostPort + ": "
                    + Status.fromThrowable(e.getCause()), e);
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the model's metadata", e);
        }
        boolean texts = inputs.size() == 1 && inputs.get(0).getDatatype().equals(Datatype.BYTES.name());
        this.tensorInputs = texts ? List.of() : inputs;
    }

    @Override
    public CompletableFuture<String> predict(List<String> texts) {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Futures.addCallback(stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).modelInfer(request(texts)),
                new FutureCallback<ModelInferResponse>() {
                    @Override
                    public void onSuccess(ModelInferResponse response) {
                        boolean whole = response.getOutputsCount() > 0 && (!tensorInputs.isEmpty()
                                || response.getOutputs(0).getShape(0) == texts.size());
                        outcome.complete(whole ? OK : "WRONG_ANSWER");
                    }

                    @Override
                    public void onFailure(Throwable error) {
                        outcome.complete(Status.fromThrowable(error).getCode().name());
                    }
                }, MoreExecutors.directExecutor());
        return outcome;
    }

    private ModelInferRequest request(List<String> texts) {
        if (!tensorInputs.isEmpty()) {
            return tensorRequest(texts);
        }
        InferInputTensor.Builder input = InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                .addShape(texts.size());
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version);
        if (raw) {
            input.addShape(1);
            ByteString.Output contents = ByteString.newOutput();
            for (String text : texts) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                contents.write(ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array(),
                        0, Integer.BYTES);
                contents.write(bytes, 0, bytes.length);
            }
            request.addRawInputContents(contents.toByteString());
        } else {
            InferTensorContents.Builder contents = InferTensorContents.newBuilder();
            texts.forEach(text -> contents.addBytesContents(ByteString.copyFromUtf8(text)));
            input.setContents(contents);
        }
        return request.addInputs(input).build();
    }

    private ModelInferRequest tensorRequest(List<String> texts) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setModelVersion(version);
        for (TensorMetadata spec : tensorInputs) {
            Datatype datatype = Datatype.of(spec.getDatatype()).orElseThrow();
            boolean batched = spec.getShapeCount() > 0 && spec.getShape(0) < 0;
            int rows = batched ? texts.size() : 1;
            InferInputTensor.Builder input = InferInputTensor.newBuilder().setName(spec.getName())
                    .setDatatype(spec.getDatatype());
            long perRow = 1;
            for (int d = 0; d < spec.getShapeCount(); d++) {
                long dimension = d == 0 && batched ? rows : Math.max(1, spec.getShape(d));
                input.addShape(dimension);
                perRow *= d == 0 && batched ? 1 : dimension;
            }
            List<ByteString> strings = new java.util.ArrayList<>();
            ByteBuffer values = ByteBuffer.allocate((int) (rows * perRow * datatype.size())).order(ByteOrder.LITTLE_ENDIAN);
            for (int row = 0; row < rows; row++) {
                String text = texts.get(row);
                for (int e = 0; e < perRow; e++) {
                    if (datatype == Datatype.BYTES) {
                        strings.add(ByteString.copyFromUtf8(text));
                    } else {
                        datatype.put(values, datatype.sample(text.hashCode() * 31 + e));
                    }
                }
            }
            ByteString raw = datatype == Datatype.BYTES ? BytesElements.encode(strings) : ByteString.copyFrom(values.flip());
            if (this.raw) {
                request.addRawInputContents(raw);
            } else if (datatype == Datatype.BYTES) {
                input.setContents(InferTensorContents.newBuilder().addAllBytesContents(strings));
            } else {
                InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                datatype.rawToTyped(raw, contents);
                input.setContents(contents);
            }
            request.addInputs(input);
        }
        return request.build();
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
