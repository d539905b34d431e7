package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Building the gateway checks no upstream; starting it does, and the first check is in before it serves. */
class GatewayLifecycleTest {

    @Test
    void upstreamsAreCheckedFromStartNotFromConstruction() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        Server upstream = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new HealthGrpc.HealthImplBase() {
                    @Override
                    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
                        checks.incrementAndGet();
                        response.onNext(HealthCheckResponse.newBuilder().setStatus(ServingStatus.SERVING).build());
                        response.onCompleted();
                    }
                })
                .build().start();
        String address = "127.0.0.1:" + upstream.getPort();
        try {
            GatewayServer gateway = new GatewayServer(TestPlatform.gatewayConfig().stable(address).canary(address).build());

            // A check of our own, answered: one a constructor had started would have come first.
            ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
            HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
            channel.shutdownNow();
            assertEquals(1, checks.get(), "built, not started: the gateway checked nothing");

            gateway.start();
            try {
                assertTrue(checks.get() >= 3, "both upstreams' first checks were in before start() returned: " + checks);
                Awaitility.await("the checks go on").atMost(Duration.ofSeconds(5)).until(() -> checks.get() >= 5);
            } finally {
                gateway.close();
            }
        } finally {
            upstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
