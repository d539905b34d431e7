package dev.inference.loadtest.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.inference.loadtest.client.PredictClient;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerLiveResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The floor no server can beat: ServerLive, an empty unary call through the server's transport,
 * interceptors and event loop, and no model, as a load client whose texts are ignored.
 */
final class EmptyCall implements PredictClient {

    private final ManagedChannel channel;
    private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub stub;

    EmptyCall(String hostPort) {
        this.channel = NettyChannelBuilder.forTarget(hostPort).usePlaintext().build();
        this.stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
    }

    @Override
    public CompletableFuture<String> predict(List<String> texts) {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Futures.addCallback(stub.serverLive(ServerLiveRequest.getDefaultInstance()), new FutureCallback<ServerLiveResponse>() {
            @Override
            public void onSuccess(ServerLiveResponse response) {
                outcome.complete(OK);
            }

            @Override
            public void onFailure(Throwable error) {
                outcome.complete(Status.fromThrowable(error).getCode().name());
            }
        }, MoreExecutors.directExecutor());
        return outcome;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
