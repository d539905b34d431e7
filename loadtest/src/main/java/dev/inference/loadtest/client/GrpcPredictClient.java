package dev.inference.loadtest.client;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Predict over gRPC on one HTTP/2 connection, as grpc-java clients do. */
public final class GrpcPredictClient implements PredictClient {

    private final ManagedChannel channel;
    private final InferenceServiceGrpc.InferenceServiceFutureStub stub;
    private final String model;
    private final String version;
    private final long timeoutMillis;

    public GrpcPredictClient(String hostPort, String model, String version, Map<String, String> headers, long timeoutMillis) {
        this.channel = NettyChannelBuilder.forTarget(hostPort).usePlaintext().build();
        this.stub = InferenceServiceGrpc.newFutureStub(channel).withInterceptors(attaching(headers));
        this.model = model;
        this.version = version;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public CompletableFuture<String> predict(List<String> texts) {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        PredictRequest request = PredictRequest.newBuilder().setModel(model).setVersion(version)
                .addAllInstances(texts).build();
        Futures.addCallback(stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS).predict(request),
                new FutureCallback<PredictResponse>() {
                    @Override
                    public void onSuccess(PredictResponse response) {
                        outcome.complete(response.getPredictionsCount() == texts.size() ? OK : "WRONG_ANSWER");
                    }

                    @Override
                    public void onFailure(Throwable error) {
                        outcome.complete(Status.fromThrowable(error).getCode().name());
                    }
                }, MoreExecutors.directExecutor());
        return outcome;
    }

    /** Sends these headers, as ASCII metadata, with every call. */
    static ClientInterceptor attaching(Map<String, String> headers) {
        Metadata metadata = new Metadata();
        headers.forEach((name, value) -> metadata.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value));
        return MetadataUtils.newAttachHeadersInterceptor(metadata);
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
