package dev.inference.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class HealthTransitionsTest {

    @Test
    void notServingWhileModelsLoadThenServingThenNotServingOnShutdown() throws Exception {
        int port = FreePorts.next();
        List<ServingStatus> seen = new CopyOnWriteArrayList<>();
        List<Boolean> openInferenceReady = new CopyOnWriteArrayList<>();
        AtomicBoolean polling = new AtomicBoolean(true);
        Thread poller = new Thread(() -> {
            ManagedChannel probe = channelTo(port);
            while (polling.get()) {
                try {
                    ServingStatus status = HealthGrpc.newBlockingStub(probe).withDeadlineAfter(1, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
                    if (seen.isEmpty() || seen.get(seen.size() - 1) != status) {
                        seen.add(status);
                    }
                    boolean ready = GRPCInferenceServiceGrpc.newBlockingStub(probe).withDeadlineAfter(1, TimeUnit.SECONDS)
                            .serverReady(ServerReadyRequest.getDefaultInstance()).getReady();
                    if (openInferenceReady.isEmpty() || openInferenceReady.get(openInferenceReady.size() - 1) != ready) {
                        openInferenceReady.add(ready);
                    }
                } catch (StatusRuntimeException notListeningYet) {
                    // A failed channel waits a second before reconnecting; the whole load is shorter.
                    probe.shutdownNow();
                    probe = channelTo(port);
                }
                // A sample every few milliseconds, not a spin that takes a core from the loading server.
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
            probe.shutdownNow();
        });
        poller.start();

        InferenceServer server = new InferenceServer(TestServer.config().port(port).build()).start();
        waitFor(() -> seen.contains(ServingStatus.SERVING) && openInferenceReady.contains(true));
        polling.set(false);
        poller.join(10_000);
        assertEquals(List.of(ServingStatus.NOT_SERVING, ServingStatus.SERVING), seen);
        assertEquals(List.of(false, true), openInferenceReady, "Open Inference Protocol ServerReady: false while loading");

        ManagedChannel channel = channelTo(port);
        List<ServingStatus> watched = new CopyOnWriteArrayList<>();
        HealthGrpc.newStub(channel).watch(
                HealthCheckRequest.newBuilder().setService("inference.v1.InferenceService").build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(HealthCheckResponse response) {
                        watched.add(response.getStatus());
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                });
        waitFor(() -> watched.contains(ServingStatus.SERVING));
        server.stop(Duration.ofSeconds(5));

        waitFor(() -> watched.contains(ServingStatus.NOT_SERVING));
        assertEquals(List.of(ServingStatus.SERVING, ServingStatus.NOT_SERVING), watched);
        channel.shutdownNow();
    }

    private static ManagedChannel channelTo(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    static void waitFor(java.util.function.BooleanSupplier condition) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(condition::getAsBoolean);
    }
}
