package dev.inference.loadtest.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * ModelInfer of the Open Inference Protocol v2 over gRPC, the texts as one BYTES input "text":
 * typed ({@code bytes_contents}, as the KServe SDK sends lists) or raw ({@code raw_input_contents},
 * shape [N, 1], as tritonclient always sends).
 */
public final class OpenInferenceGrpcClient implements PredictClient {

    private final ManagedChannel channel;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub stub;
    private final String model;
    private final String version;
    private final boolean raw;
    private final long timeoutMillis;

    public OpenInferenceGrpcClient(String hostPort, String model, String version, Map<String, String> headers,
            long timeoutMillis, boolean raw) {
        this.channel = NettyChannelBuilder.forTarget(hostPort).usePlaintext().build();
        this.stub = GRPCInferenceServiceGrpc.newFutureStub(channel).withInterceptors(GrpcPredictClient.attaching(headers));
        this.model = model;
        this.version = version;
        this.raw = raw;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public CompletableFuture<String> predict(List<String> texts) {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Futures.addCallback(stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).modelInfer(request(texts)),
                new FutureCallback<ModelInferResponse>() {
                    @Override
                    public void onSuccess(ModelInferResponse response) {
                        boolean whole = response.getOutputsCount() > 0 && response.getOutputs(0).getShape(0) == texts.size();
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

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
