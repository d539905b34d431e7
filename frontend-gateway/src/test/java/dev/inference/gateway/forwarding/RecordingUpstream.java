package dev.inference.gateway.forwarding;

import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.api.v1.Prediction;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC server on a loopback port that records what the gateway sends it: the metadata and
 * the deadline of the last Predict, and whether that call was cancelled. It answers after
 * {@code delayMillis}, as the track named at construction.
 */
public final class RecordingUpstream implements AutoCloseable {

    private static final Context.Key<Metadata> HEADERS = Context.key("headers");

    final CompletableFuture<Metadata> headers = new CompletableFuture<>();
    /** The metadata of every Predict, in order. */
    public final java.util.List<Metadata> predictHeaders = new java.util.concurrent.CopyOnWriteArrayList<>();
    final CompletableFuture<Long> deadlineMillis = new CompletableFuture<>();
    final CompletableFuture<Boolean> cancelled = new CompletableFuture<>();
    private final Server server;

    public RecordingUpstream(String track, long delayMillis) throws IOException {
        InferenceServiceGrpc.InferenceServiceImplBase service = new InferenceServiceGrpc.InferenceServiceImplBase() {
            @Override
            public void predict(PredictRequest request, StreamObserver<PredictResponse> observer) {
                Context context = Context.current();
                headers.complete(HEADERS.get());
                predictHeaders.add(HEADERS.get());
                Deadline deadline = context.getDeadline();
                deadlineMillis.complete(deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
                context.addListener(ignored -> cancelled.complete(true), Runnable::run);
                CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS).execute(() -> {
                    if (!context.isCancelled()) {
                        cancelled.complete(false);
                        observer.onNext(PredictResponse.newBuilder().setModel(request.getModel()).setModelVersion("7")
                                .addPredictions(Prediction.newBuilder().setLabel("positive").setScore(1)).build());
                        observer.onCompleted();
                    }
                });
            }
        };
        ServerInterceptor recordHeaders = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata metadata, ServerCallHandler<Q, R> next) {
                ServerCall<Q, R> withTrack = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendHeaders(Metadata responseHeaders) {
                        responseHeaders.put(Metadata.Key.of("x-model-track", Metadata.ASCII_STRING_MARSHALLER), track);
                        super.sendHeaders(responseHeaders);
                    }
                };
                return Contexts.interceptCall(Context.current().withValue(HEADERS, metadata), withTrack, metadata, next);
            }
        };
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(service, recordHeaders))
                .addService(new HealthStatusManager().getHealthService())
                .build()
                .start();
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
